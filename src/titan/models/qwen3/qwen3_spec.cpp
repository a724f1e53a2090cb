#include "titan/models/qwen3/qwen3_spec.hpp"

namespace titan {

DecoderSpec qwen3_decoder_spec(Qwen3Args const& a) {
  DecoderSpec s;
  s.family = "qwen3";
  s.dim = a.dim;
  s.n_heads = a.n_heads;
  s.n_kv_heads = a.kv_heads();
  s.head_dim = a.head_dim;  // explicit: Hq * hd may differ from D
  s.vocab_size = a.vocab_size;
  s.max_seq_len = a.max_seq_len;
  s.norm_eps = a.norm_eps;
  // The table (the Decoder's freqs_cis) holds cos/sin of p * theta^(-2j/hd),
  // no scaling (qwen3_config sets rope.scaling = "none"); rotate-half pairs
  // (x[j], x[j + hd/2]) with frequency j, as CosSinRoPE does.
  s.rope_style = RopeStyle::rotate_half;
  s.qk_norm = a.qk_norm;
  s.qk_norm_eps = a.norm_eps;  // q_norm and k_norm are built from the model's norm config
  // Tied flavors: one tensor output.weight, tok_embeddings.weight its alias.
  s.tie_embeddings = a.tie_embeddings;
  s.tok_embeddings = "tok_embeddings.weight";
  s.norm = "norm.weight";
  s.output = "output.weight";
  for (std::int64_t i = 0; i < a.n_layers; ++i) {
    std::string const p = "layers." + std::to_string(i) + ".";
    LayerSpec l;
    l.attention_norm = p + "attention_norm.weight";
    l.ffn_norm = p + "ffn_norm.weight";
    l.wq = p + "attention.wq.weight";
    l.wk = p + "attention.wk.weight";
    l.wv = p + "attention.wv.weight";
    l.wo = p + "attention.wo.weight";
    if (a.qk_norm) {
      l.q_norm = p + "attention.q_norm.weight";
      l.k_norm = p + "attention.k_norm.weight";
    }
    if (a.moe_enabled) {  // every layer MoE, no shared experts
      l.ffn = FfnKind::moe;
      MoESpec& m = l.moe;
      m.num_experts = a.num_experts;
      m.top_k = a.top_k;
      m.hidden = a.moe_hidden_dim;
      m.score_func = a.score_func == "sigmoid" ? ScoreFunc::sigmoid : ScoreFunc::softmax;
      m.route_norm = a.route_norm;
      m.route_scale = a.route_scale;
      m.router_gate = p + "moe.router.gate.weight";
      m.w1 = p + "moe.experts.w1";
      m.w2 = p + "moe.experts.w2";
      m.w3 = p + "moe.experts.w3";
      if (a.load_balance_coeff) m.expert_bias = p + "moe.expert_bias";  // the buffer exists iff set
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
