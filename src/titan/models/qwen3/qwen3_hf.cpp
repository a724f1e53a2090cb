#include "titan/models/qwen3/qwen3_hf.hpp"

#include "titan/core/errors.hpp"
#include "titan/models/qwen3/qwen3_args.hpp"

namespace titan {

namespace {

// torchtitan/models/qwen3/state_dict_adapter.py (classic titan FQNs on the left).
std::vector<std::pair<char const*, char const*>> const layer_names = {
    {"attention.wq.weight", "self_attn.q_proj.weight"},
    {"attention.wk.weight", "self_attn.k_proj.weight"},
    {"attention.wv.weight", "self_attn.v_proj.weight"},
    {"attention.wo.weight", "self_attn.o_proj.weight"},
    {"attention.q_norm.weight", "self_attn.q_norm.weight"},
    {"attention.k_norm.weight", "self_attn.k_norm.weight"},
    {"feed_forward.w1.weight", "mlp.gate_proj.weight"},
    {"feed_forward.w2.weight", "mlp.down_proj.weight"},
    {"feed_forward.w3.weight", "mlp.up_proj.weight"},
    {"attention_norm.weight", "input_layernorm.weight"},
    {"ffn_norm.weight", "post_attention_layernorm.weight"},
    {"moe.router.gate.weight", "mlp.gate.weight"},
};
// Routed experts: titan's stacked tensor -> HF's per-expert projection.
std::vector<std::pair<char const*, char const*>> const expert_names = {
    {"moe.experts.w1", "gate_proj.weight"},
    {"moe.experts.w2", "down_proj.weight"},
    {"moe.experts.w3", "up_proj.weight"},
};

class Qwen3Hf final : public HfAdapter {
 public:
  explicit Qwen3Hf(Qwen3Args const& a) : _a(a) {}

  std::vector<PieceLayout> layouts(std::string const& fqn, Extents const& shape, bool tied) const override {
    if (fqn == "tok_embeddings.weight" || (fqn == "output.weight" && tied))
      return {stored_whole("model.embed_tokens.weight", shape)};
    if (fqn == "output.weight") return {stored_whole("lm_head.weight", shape)};
    if (fqn == "norm.weight") return {stored_whole("model.norm.weight", shape)};
    std::string i, rest;
    if (split_indexed(fqn, "layers.", i, rest)) {
      std::string const prefix = "model.layers." + i + ".";
      std::string const hf = renamed(rest, layer_names);
      if (!hf.empty()) return {stored_whole(prefix + hf, shape)};
      std::string const ex = renamed(rest, expert_names);
      if (!ex.empty())
        return {stored_unstacked(shape, [&](std::int64_t e) { return prefix + "mlp.experts." + std::to_string(e) + "." + ex; })};
    }
    no_hf_name("qwen3", fqn);
  }

  bool ignored_on_load(std::string const& name) const override {
    return HfAdapter::ignored_on_load(name) || (_a.tie_embeddings && name == "lm_head.weight");
  }

  HfConfig config(DType dtype) const override {
    bool const moe = _a.moe_enabled;
    HfConfig c = {
        {"architectures", json_texts({moe ? "Qwen3MoeForCausalLM" : "Qwen3ForCausalLM"})},
        {"attention_bias", "false"},
        {"attention_dropout", "0.0", false},
        {"head_dim", json_int(_a.head_dim)},
        {"hidden_act", json_text("silu")},
        {"hidden_size", json_int(_a.dim)},
        {"initializer_range", "0.02", false},
        {"intermediate_size", json_int(_a.hidden_dim), !moe},  // unused by an all-MoE model
        {"max_position_embeddings", json_int(_a.max_seq_len), false},
        {"max_window_layers", json_int(_a.n_layers), false},
        {"model_type", json_text(moe ? "qwen3_moe" : "qwen3")},
        {"num_attention_heads", json_int(_a.n_heads)},
        {"num_hidden_layers", json_int(_a.n_layers)},
        {"num_key_value_heads", json_int(_a.kv_heads())},
        {"rms_norm_eps", json_float(_a.norm_eps)},
        {"rope_scaling", "null"},
        {"rope_theta", json_float(_a.rope_theta)},
        {"sliding_window", "null", false},
        {"tie_word_embeddings", json_bool(_a.tie_embeddings)},
        {"torch_dtype", json_text(dtype_name(dtype)), false},
        {"use_cache", "true", false},
        {"use_sliding_window", "false"},
        {"vocab_size", json_int(_a.vocab_size)},
    };
    if (moe) {
      c.push_back({"decoder_sparse_step", "1"});
      c.push_back({"mlp_only_layers", "[]"});
      c.push_back({"moe_intermediate_size", json_int(_a.moe_hidden_dim)});
      c.push_back({"norm_topk_prob", json_bool(_a.route_norm)});
      c.push_back({"num_experts", json_int(_a.num_experts)});
      c.push_back({"num_experts_per_tok", json_int(_a.top_k)});
      c.push_back({"output_router_logits", "false", false});
      c.push_back({"router_aux_loss_coef", "0.001", false});
    }
    return c;
  }

 private:
  Qwen3Args _a;
};

}  // namespace

std::unique_ptr<HfAdapter> qwen3_hf_adapter(ModelArgs const& args) {
  auto const& a = dynamic_cast<Qwen3Args const&>(args);
  // What Qwen3's HF architecture cannot express.
  require(a.qk_norm, "Hugging Face names: qwen3 with model.qk_norm = false has no HF architecture (Qwen3 always has q_norm and k_norm)");
  require(!a.moe_enabled || (a.score_func == "softmax" && a.route_scale == 1.0),
          "Hugging Face names: Qwen3-MoE routes with softmax scores and route_scale 1; this deck's " + a.score_func +
              " / " + std::to_string(a.route_scale) + " has no HF architecture");
  return std::make_unique<Qwen3Hf>(a);
}

}  // namespace titan
