#include "titan/models/deepseek_v3/deepseek_v3_hf.hpp"

#include "titan/core/errors.hpp"
#include "titan/models/deepseek_v3/deepseek_v3_args.hpp"

namespace titan {

namespace {

// torchtitan/models/deepseek_v3/state_dict_adapter.py (classic titan FQNs on the left).
std::vector<std::pair<char const*, char const*>> const layer_names = {
    {"attention.wq.weight", "self_attn.q_proj.weight"},  // q_lora_rank = 0
    {"attention.wq_a.weight", "self_attn.q_a_proj.weight"},
    {"attention.q_norm.weight", "self_attn.q_a_layernorm.weight"},
    {"attention.wq_b.weight", "self_attn.q_b_proj.weight"},
    {"attention.wkv_a.weight", "self_attn.kv_a_proj_with_mqa.weight"},
    {"attention.kv_norm.weight", "self_attn.kv_a_layernorm.weight"},
    {"attention.wkv_b.weight", "self_attn.kv_b_proj.weight"},
    {"attention.wo.weight", "self_attn.o_proj.weight"},
    {"feed_forward.w1.weight", "mlp.gate_proj.weight"},
    {"feed_forward.w2.weight", "mlp.down_proj.weight"},
    {"feed_forward.w3.weight", "mlp.up_proj.weight"},
    {"attention_norm.weight", "input_layernorm.weight"},
    {"ffn_norm.weight", "post_attention_layernorm.weight"},
    {"moe.router.gate.weight", "mlp.gate.weight"},
    {"moe.shared_experts.w1.weight", "mlp.shared_experts.gate_proj.weight"},
    {"moe.shared_experts.w2.weight", "mlp.shared_experts.down_proj.weight"},
    {"moe.shared_experts.w3.weight", "mlp.shared_experts.up_proj.weight"},
};
std::vector<std::pair<char const*, char const*>> const expert_names = {
    {"moe.experts.w1", "gate_proj.weight"},
    {"moe.experts.w2", "down_proj.weight"},
    {"moe.experts.w3", "up_proj.weight"},
};

class DeepSeekV3Hf final : public HfAdapter {
 public:
  explicit DeepSeekV3Hf(DeepSeekV3Args const& a) : _a(a) {}

  std::vector<PieceLayout> layouts(std::string const& fqn, Extents const& shape, bool) const override {
    if (fqn == "tok_embeddings.weight") return {stored_whole("model.embed_tokens.weight", shape)};
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
    no_hf_name("deepseek_v3", fqn);
  }

  std::vector<PieceLayout> buffer_layouts(std::string const& fqn, Extents const& shape) const override {
    std::string i, rest;
    if (split_indexed(fqn, "layers.", i, rest) && rest == "moe.expert_bias")
      return {stored_whole("model.layers." + i + ".mlp.gate.e_score_correction_bias", shape)};
    return {};
  }

  HfConfig config(DType dtype) const override {
    std::string rope = "null";
    if (_a.rope_scaling == "yarn")
      rope = json_object({{"beta_fast", json_float(_a.rope_beta_fast)},
                          {"beta_slow", json_float(_a.rope_beta_slow)},
                          {"factor", json_float(_a.rope_factor)},
                          // HF's softmax scale uses mscale_all_dim; equal mscale keeps cos/sin unscaled (titan folds m^2 into the scale)
                          {"mscale", json_float(_a.mscale)},
                          {"mscale_all_dim", json_float(_a.mscale)},
                          {"original_max_position_embeddings", json_int(_a.rope_original_seq_len)},
                          {"rope_type", json_text("yarn")},
                          {"truncate", json_bool(_a.rope_truncate)},
                          {"type", json_text("yarn")}});
    return {
        {"architectures", json_texts({"DeepseekV3ForCausalLM"})},
        {"attention_bias", "false"},
        {"attention_dropout", "0.0", false},
        {"first_k_dense_replace", json_int(_a.n_dense_layers)},
        {"hidden_act", json_text("silu")},
        {"hidden_size", json_int(_a.dim)},
        {"initializer_range", "0.02", false},
        {"intermediate_size", json_int(_a.hidden_dim)},
        {"kv_lora_rank", json_int(_a.kv_lora_rank)},
        {"max_position_embeddings", json_int(_a.max_seq_len), false},
        {"model_type", json_text("deepseek_v3")},
        {"moe_intermediate_size", json_int(_a.moe_hidden_dim)},
        {"n_group", json_int(_a.n_expert_groups.value_or(1))},
        {"n_routed_experts", json_int(_a.num_experts)},
        {"n_shared_experts", json_int(_a.num_shared_experts)},
        {"norm_topk_prob", json_bool(_a.route_norm)},
        {"num_attention_heads", json_int(_a.n_heads)},
        {"num_experts_per_tok", json_int(_a.top_k)},
        {"num_hidden_layers", json_int(_a.n_layers)},
        {"num_key_value_heads", json_int(_a.n_heads)},
        {"q_lora_rank", _a.q_lora_rank > 0 ? json_int(_a.q_lora_rank) : "null"},
        {"qk_nope_head_dim", json_int(_a.qk_nope_head_dim)},
        {"qk_rope_head_dim", json_int(_a.qk_rope_head_dim)},
        {"rms_norm_eps", json_float(_a.norm_eps)},
        {"rope_interleave", "true"},
        {"rope_scaling", rope},
        {"rope_theta", json_float(_a.rope_theta)},
        {"routed_scaling_factor", json_float(_a.route_scale)},
        // DeepSeek's own config keys (transformers keeps them as attributes):
        // torchtitan's debug flavors route with softmax, the published models with sigmoid.
        {"scoring_func", json_text(_a.score_func)},
        {"tie_word_embeddings", "false"},
        {"topk_group", json_int(_a.n_limited_groups.value_or(1))},
        {"topk_method", json_text("noaux_tc")},
        {"torch_dtype", json_text(dtype_name(dtype)), false},
        {"use_cache", "true", false},
        {"v_head_dim", json_int(_a.v_head_dim)},
        {"vocab_size", json_int(_a.vocab_size)},
    };
  }

 private:
  DeepSeekV3Args _a;
};

}  // namespace

std::unique_ptr<HfAdapter> deepseek_v3_hf_adapter(ModelArgs const& args) {
  return std::make_unique<DeepSeekV3Hf>(dynamic_cast<DeepSeekV3Args const&>(args));
}

}  // namespace titan
