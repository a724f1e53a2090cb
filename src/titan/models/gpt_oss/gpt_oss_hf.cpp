#include "titan/models/gpt_oss/gpt_oss_hf.hpp"

#include "titan/core/errors.hpp"
#include "titan/models/gpt_oss/gpt_oss_args.hpp"

namespace titan {

namespace {

// torchtitan/models/gpt_oss/state_dict_adapter.py (classic titan FQNs on the left).
std::vector<std::pair<char const*, char const*>> const layer_names = {
    {"attention.wq.weight", "self_attn.q_proj.weight"},
    {"attention.wq.bias", "self_attn.q_proj.bias"},
    {"attention.wk.weight", "self_attn.k_proj.weight"},
    {"attention.wk.bias", "self_attn.k_proj.bias"},
    {"attention.wv.weight", "self_attn.v_proj.weight"},
    {"attention.wv.bias", "self_attn.v_proj.bias"},
    {"attention.wo.weight", "self_attn.o_proj.weight"},
    {"attention.wo.bias", "self_attn.o_proj.bias"},
    {"attention.sinks", "self_attn.sinks"},
    {"attention_norm.weight", "input_layernorm.weight"},
    {"ffn_norm.weight", "post_attention_layernorm.weight"},
    {"moe.experts.mlp1_bias", "mlp.experts.gate_up_proj_bias"},
    {"moe.experts.mlp2_bias", "mlp.experts.down_proj_bias"},
    {"moe.router.gate.weight", "mlp.router.weight"},
    {"moe.router.gate.bias", "mlp.router.bias"},
};

class GptOssHf final : public HfAdapter {
 public:
  explicit GptOssHf(GptOssArgs const& a) : _a(a) {}

  std::vector<PieceLayout> layouts(std::string const& fqn, Extents const& shape, bool) const override {
    if (fqn == "tok_embeddings.weight") return {stored_whole("model.embed_tokens.weight", shape)};
    if (fqn == "output.weight") return {stored_whole("lm_head.weight", shape)};
    if (fqn == "norm.weight") return {stored_whole("model.norm.weight", shape)};
    std::string i, rest;
    if (split_indexed(fqn, "layers.", i, rest)) {
      std::string const prefix = "model.layers." + i + ".";
      std::string const hf = renamed(rest, layer_names);
      if (!hf.empty()) return {stored_whole(prefix + hf, shape)};
      if (rest == "moe.experts.mlp1_weight" || rest == "moe.experts.mlp2_weight") {
        std::string const base = prefix + (rest == "moe.experts.mlp1_weight" ? "mlp.experts.gate_up_proj" : "mlp.experts.down_proj");
        // Saved: HF's [E, in, out]. Loaded also: the [E, out, in] blocks (MXFP4, or torchtitan's unquantized values).
        return {stored_transposed(base, shape), stored_whole(base + "_blocks", shape)};
      }
    }
    no_hf_name("gpt_oss", fqn);
  }

  HfConfig config(DType dtype) const override {
    std::vector<std::string> layer_types;
    for (std::int64_t l = 0; l < _a.n_layers; ++l)
      layer_types.push_back(_a.is_sliding_layer(l) ? "sliding_attention" : "full_attention");
    std::string const rope = json_object({{"beta_fast", json_float(_a.rope_beta_fast)},
                                          {"beta_slow", json_float(_a.rope_beta_slow)},
                                          {"factor", json_float(_a.rope_factor)},
                                          {"original_max_position_embeddings", json_int(_a.rope_original_seq_len)},
                                          {"rope_type", json_text("yarn")},
                                          {"truncate", json_bool(_a.rope_truncate)}});
    return {
        {"architectures", json_texts({"GptOssForCausalLM"})},
        {"attention_bias", "true"},
        {"attention_dropout", "0.0", false},
        {"experts_per_token", json_int(_a.top_k)},
        {"head_dim", json_int(_a.head_dim)},
        {"hidden_act", json_text("silu")},
        {"hidden_size", json_int(_a.dim)},
        {"initial_context_length", json_int(_a.rope_original_seq_len), false},
        {"initializer_range", "0.02", false},
        {"intermediate_size", json_int(_a.moe_hidden_dim)},
        {"layer_types", json_texts(layer_types)},
        {"max_position_embeddings", json_int(_a.max_seq_len), false},
        {"model_type", json_text("gpt_oss")},
        {"num_attention_heads", json_int(_a.n_heads)},
        {"num_experts_per_tok", json_int(_a.top_k)},
        {"num_hidden_layers", json_int(_a.n_layers)},
        {"num_key_value_heads", json_int(_a.n_kv_heads)},
        {"num_local_experts", json_int(_a.num_experts)},
        {"output_router_logits", "false", false},
        {"rms_norm_eps", json_float(_a.norm_eps)},
        {"rope_scaling", rope},
        {"rope_theta", json_float(_a.rope_theta)},
        {"router_aux_loss_coef", "0.9", false},
        {"sliding_window", _a.sliding_window > 0 ? json_int(_a.sliding_window) : "null"},
        {"swiglu_alpha", json_float(_a.swiglu_alpha)},
        {"swiglu_limit", json_float(_a.swiglu_limit)},
        {"tie_word_embeddings", "false"},
        {"torch_dtype", json_text(dtype_name(dtype)), false},
        {"use_cache", "true", false},
        {"vocab_size", json_int(_a.vocab_size)},
    };
  }

 private:
  GptOssArgs _a;
};

}  // namespace

std::unique_ptr<HfAdapter> gpt_oss_hf_adapter(ModelArgs const& args) {
  auto const& a = dynamic_cast<GptOssArgs const&>(args);
  // HF's router: softmax over the top-k logits = titan's softmax, top-k, route_norm.
  require(a.score_func == "softmax" && a.route_norm && a.route_scale == 1.0,
          "Hugging Face names: GPT-OSS's HF router takes a softmax over the top-k logits (softmax scores with "
          "route_norm and route_scale 1); this deck's routing has no HF architecture");
  return std::make_unique<GptOssHf>(a);
}

}  // namespace titan
