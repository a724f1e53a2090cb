#include "titan/models/deepseek_v3/deepseek_v3_spec.hpp"

#include <cmath>

namespace titan {

DecoderSpec deepseek_v3_decoder_spec(DeepSeekV3Args const& a) {
  DecoderSpec s;
  s.family = "deepseek_v3";
  s.dim = a.dim;
  s.n_heads = a.n_heads;
  s.n_kv_heads = a.n_heads;     // every head has its own k and v
  s.head_dim = a.qk_head_dim();  // informative: MLA reads MLASpec
  s.vocab_size = a.vocab_size;
  s.max_seq_len = a.max_seq_len;
  s.norm_eps = a.norm_eps;
  s.rope_style = RopeStyle::interleaved;  // torchtitan's ComplexRoPE, adjacent pairs
  s.tie_embeddings = false;
  s.tok_embeddings = "tok_embeddings.weight";
  s.norm = "norm.weight";
  s.output = "output.weight";
  s.attention = AttentionKind::mla;
  MLASpec& m = s.mla;
  m.q_lora_rank = a.q_lora_rank;
  m.kv_lora_rank = a.kv_lora_rank;
  m.qk_nope_head_dim = a.qk_nope_head_dim;
  m.qk_rope_head_dim = a.qk_rope_head_dim;
  m.v_head_dim = a.v_head_dim;
  m.norm_eps = a.norm_eps;  // q_norm and kv_norm are built from the model's norm config
  // torchtitan's Attention.__init__: scale = qk_head_dim^-0.5, times m^2 with
  // m = 0.1 mscale ln(rope_factor) + 1 when rope.scaling == "yarn" and
  // rope_factor > 1 (not conditioned on max_seq_len). The table itself holds
  // no mscale (the YaRN frequencies only).
  m.softmax_scale = 1.0 / std::sqrt(static_cast<double>(a.qk_head_dim()));
  if (a.rope_scaling == "yarn" && a.rope_factor > 1.0) {
    double const ms = 0.1 * a.mscale * std::log(a.rope_factor) + 1.0;
    m.softmax_scale *= ms * ms;
  }
  for (std::int64_t i = 0; i < a.n_layers; ++i) {
    std::string const p = "layers." + std::to_string(i) + ".";
    LayerSpec l;
    l.attention_norm = p + "attention_norm.weight";
    l.ffn_norm = p + "ffn_norm.weight";
    if (a.q_lora_rank == 0) {
      l.wq = p + "attention.wq.weight";
    } else {
      l.wq_a = p + "attention.wq_a.weight";
      l.q_lora_norm = p + "attention.q_norm.weight";
      l.wq_b = p + "attention.wq_b.weight";
    }
    l.wkv_a = p + "attention.wkv_a.weight";
    l.kv_norm = p + "attention.kv_norm.weight";
    l.wkv_b = p + "attention.wkv_b.weight";
    l.wo = p + "attention.wo.weight";
    if (a.is_moe_layer(i)) {
      l.ffn = FfnKind::moe;
      MoESpec& e = l.moe;
      e.num_experts = a.num_experts;
      e.top_k = a.top_k;
      e.hidden = a.moe_hidden_dim;
      e.score_func = a.score_func == "sigmoid" ? ScoreFunc::sigmoid : ScoreFunc::softmax;
      e.route_norm = a.route_norm;
      e.route_scale = a.route_scale;
      e.router_gate = p + "moe.router.gate.weight";
      e.w1 = p + "moe.experts.w1";
      e.w2 = p + "moe.experts.w2";
      e.w3 = p + "moe.experts.w3";
      if (a.num_shared_experts > 0) {  // one merged SwiGLU of width num_shared_experts * Fm
        e.shared_hidden = a.num_shared_experts * a.moe_hidden_dim;
        e.shared_w1 = p + "moe.shared_experts.w1.weight";
        e.shared_w2 = p + "moe.shared_experts.w2.weight";
        e.shared_w3 = p + "moe.shared_experts.w3.weight";
      }
      if (a.load_balance_coeff) e.expert_bias = p + "moe.expert_bias";  // the buffer exists iff set
      if (a.n_expert_groups) {
        e.n_groups = *a.n_expert_groups;
        e.n_limited_groups = *a.n_limited_groups;
      }
    } else {
      l.ffn = FfnKind::dense;
      l.ffn_hidden = a.hidden_dim;
      l.w1 = p + "feed_forward.w1.weight";
      l.w2 = p + "feed_forward.w2.weight";
      l.w3 = p + "feed_forward.w3.weight";
    }
    s.layers.push_back(std::move(l));
  }
  return s;
}

}  // namespace titan
