#include "titan/models/llama4/llama4_hf.hpp"

#include "titan/core/errors.hpp"
#include "titan/models/llama4/llama4_args.hpp"

namespace titan {

namespace {

// torchtitan/models/llama4/state_dict_adapter.py at d92336fee^ (classic
// titan FQNs on the left); the dense layers' MLP as HF's Llama4TextMLP.
std::vector<std::pair<char const*, char const*>> const layer_names = {
    {"attention.wq.weight", "self_attn.q_proj.weight"},
    {"attention.wk.weight", "self_attn.k_proj.weight"},
    {"attention.wv.weight", "self_attn.v_proj.weight"},
    {"attention.wo.weight", "self_attn.o_proj.weight"},
    {"attention_norm.weight", "input_layernorm.weight"},
    {"ffn_norm.weight", "post_attention_layernorm.weight"},
    {"moe.router.gate.weight", "feed_forward.router.weight"},
    {"moe.shared_experts.w1.weight", "feed_forward.shared_expert.gate_proj.weight"},
    {"moe.shared_experts.w2.weight", "feed_forward.shared_expert.down_proj.weight"},
    {"moe.shared_experts.w3.weight", "feed_forward.shared_expert.up_proj.weight"},
    {"feed_forward.w1.weight", "feed_forward.gate_proj.weight"},
    {"feed_forward.w2.weight", "feed_forward.down_proj.weight"},
    {"feed_forward.w3.weight", "feed_forward.up_proj.weight"},
};

class Llama4Hf final : public HfAdapter {
 public:
  explicit Llama4Hf(Llama4Args const& a) : _a(a) {}

  std::vector<PieceLayout> layouts(std::string const& fqn, Extents const& shape, bool) const override {
    if (fqn == "tok_embeddings.weight") return {stored_whole("language_model.model.embed_tokens.weight", shape)};
    if (fqn == "output.weight") return {stored_whole("language_model.lm_head.weight", shape)};
    if (fqn == "norm.weight") return {stored_whole("language_model.model.norm.weight", shape)};
    std::string i, rest;
    if (split_indexed(fqn, "layers.", i, rest)) {
      std::string const prefix = "language_model.model.layers." + i + ".feed_forward.experts.";
      std::string const hf = renamed(rest, layer_names);
      if (!hf.empty()) return {stored_whole("language_model.model.layers." + i + "." + hf, shape)};
      if (rest == "moe.experts.w2") return {stored_transposed(prefix + "down_proj", shape)};  // [E, D, Fm] -> [E, Fm, D]
      if (rest == "moe.experts.w1" || rest == "moe.experts.w3") {
        // [E, Fm, D] -> columns [0, Fm) (w1) or [Fm, 2 Fm) (w3) of gate_up_proj [E, D, 2 Fm]
        PieceLayout l = stored_transposed(prefix + "gate_up_proj", shape);
        l[0].stored_shape[2] = 2 * shape[1];
        if (rest == "moe.experts.w3") l[0].at[2] = shape[1];
        return {l};
      }
    }
    no_hf_name("llama4", fqn);
  }

  HfConfig config(DType dtype) const override {
    std::string rope = "null";
    if (_a.rope_scaling == "llama")
      rope = json_object({{"factor", json_float(_a.rope_scaling_factor)},
                          {"high_freq_factor", json_float(_a.rope_high_freq_factor)},
                          {"low_freq_factor", json_float(_a.rope_low_freq_factor)},
                          {"original_max_position_embeddings", json_int(_a.rope_original_max_position_embeddings)},
                          {"rope_type", json_text("llama3")}});
    std::vector<std::int64_t> moe_layers, no_rope_layers;  // HF: 1 = the layer uses RoPE
    std::vector<std::string> layer_types;
    for (std::int64_t l = 0; l < _a.n_layers; ++l) {
      if (_a.is_moe_layer(l)) moe_layers.push_back(l);
      no_rope_layers.push_back(_a.is_nope_layer(l) ? 0 : 1);
      layer_types.push_back(!_a.is_nope_layer(l) && _a.fixed_attn_block_size > 0 ? "chunked_attention" : "full_attention");
    }
    // torchtitan's Llama4 has no q/k L2 norm and no attention temperature
    // tuning: both are off in the config, so HF computes the same model.
    std::string const text = json_object({
        {"attention_bias", "false"},
        {"attention_chunk_size", _a.fixed_attn_block_size > 0 ? json_int(_a.fixed_attn_block_size) : "null"},
        {"attention_dropout", "0.0"},
        {"attn_temperature_tuning", "false"},
        {"head_dim", json_int(_a.head_dim())},
        {"hidden_act", json_text("silu")},
        {"hidden_size", json_int(_a.dim)},
        {"initializer_range", "0.02"},
        {"interleave_moe_layer_step", json_int(_a.interleave_moe_layer_step)},
        {"intermediate_size", json_int(_a.moe_hidden_dim())},
        {"intermediate_size_mlp", json_int(_a.ffn_hidden_dim())},
        {"layer_types", json_texts(layer_types)},
        {"max_position_embeddings", json_int(_a.max_seq_len)},
        {"model_type", json_text("llama4_text")},
        {"moe_layers", json_ints(moe_layers)},
        {"no_rope_layers", json_ints(no_rope_layers)},
        {"num_attention_heads", json_int(_a.n_heads)},
        {"num_experts_per_tok", json_int(_a.top_k)},
        {"num_hidden_layers", json_int(_a.n_layers)},
        {"num_key_value_heads", json_int(_a.kv_heads())},
        {"num_local_experts", json_int(_a.num_experts)},
        {"rms_norm_eps", json_float(_a.norm_eps)},
        {"rope_scaling", rope},
        {"rope_theta", json_float(_a.rope_theta)},
        {"tie_word_embeddings", "false"},
        {"torch_dtype", json_text(dtype_name(dtype))},
        {"use_cache", "true"},
        {"use_qk_norm", "false"},
        {"vocab_size", json_int(_a.vocab_size)},
    });
    return {
        {"architectures", json_texts({"Llama4ForConditionalGeneration"})},
        {"model_type", json_text("llama4")},
        {"text_config", text},
        {"tie_word_embeddings", "false"},
        {"torch_dtype", json_text(dtype_name(dtype)), false},
    };
  }

 private:
  Llama4Args _a;
};

}  // namespace

std::unique_ptr<HfAdapter> llama4_hf_adapter(ModelArgs const& args) {
  auto const& a = dynamic_cast<Llama4Args const&>(args);
  // What Llama4's HF architecture cannot express.
  require(a.num_shared_experts == 1,
          "Hugging Face names: Llama4's HF architecture has exactly one shared expert; this deck has num_shared_experts = " +
              std::to_string(a.num_shared_experts));
  require(a.score_func == "sigmoid" && !a.route_norm && a.route_scale == 1.0,
          "Hugging Face names: Llama4's HF router is sigmoid top-k without normalization or scaling; this deck's " +
              a.score_func + " routing has no HF architecture");
  return std::make_unique<Llama4Hf>(a);
}

}  // namespace titan
