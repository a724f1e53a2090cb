#include "titan/models/llama4/llama4_spec.hpp"

namespace titan {

DecoderSpec llama4_decoder_spec(Llama4Args const& a) {
  DecoderSpec s;
  s.family = "llama4";
  s.dim = a.dim;
  s.n_heads = a.n_heads;
  s.n_kv_heads = a.kv_heads();
  s.head_dim = a.head_dim();  // D / Hq
  s.vocab_size = a.vocab_size;
  s.max_seq_len = a.max_seq_len;
  s.norm_eps = a.norm_eps;
  // torchtitan's ComplexRoPE: adjacent pairs; the table (freqs_cis) carries
  // the llama scaling (16 / 1 / 1 / 8192) or none (17bx128e).
  s.rope_style = RopeStyle::interleaved;
  s.qk_norm = false;  // torchtitan's Llama4 has no q/k norm (nor HF's NoPE temperature tuning)
  s.tie_embeddings = false;
  s.tok_embeddings = "tok_embeddings.weight";
  s.norm = "norm.weight";
  s.output = "output.weight";
  std::int64_t const fm = a.moe_hidden_dim();
  for (std::int64_t i = 0; i < a.n_layers; ++i) {
    std::string const p = "layers." + std::to_string(i) + ".";
    LayerSpec l;
    l.attention_norm = p + "attention_norm.weight";
    l.ffn_norm = p + "ffn_norm.weight";
    l.wq = p + "attention.wq.weight";
    l.wk = p + "attention.wk.weight";
    l.wv = p + "attention.wv.weight";
    l.wo = p + "attention.wo.weight";
    // iRoPE: torchtitan's get_attention_masks gives the RoPE layers the
    // causal AND fixed-block mask, the NoPE layers the causal mask only.
    l.use_rope = !a.is_nope_layer(i);
    l.attn_chunk = l.use_rope ? a.fixed_attn_block_size : 0;
    if (a.is_moe_layer(i)) {
      l.ffn = FfnKind::moe;
      MoESpec& m = l.moe;
      m.num_experts = a.num_experts;
      m.top_k = a.top_k;
      m.hidden = fm;
      m.score_func = a.score_func == "sigmoid" ? ScoreFunc::sigmoid : ScoreFunc::softmax;
      m.route_norm = a.route_norm;
      m.route_scale = a.route_scale;
      m.score_before_experts = true;  // Llama4 keeps make_experts_config's default (Qwen3 and DeepSeek set False)
      m.router_gate = p + "moe.router.gate.weight";
      m.w1 = p + "moe.experts.w1";
      m.w2 = p + "moe.experts.w2";
      m.w3 = p + "moe.experts.w3";
      if (a.load_balance_coeff) m.expert_bias = p + "moe.expert_bias";  // the buffer exists iff set
      if (a.num_shared_experts > 0) {  // S shared experts merged into one SwiGLU of hidden S * Fm
        m.shared_hidden = a.num_shared_experts * fm;
        m.shared_w1 = p + "moe.shared_experts.w1.weight";
        m.shared_w2 = p + "moe.shared_experts.w2.weight";
        m.shared_w3 = p + "moe.shared_experts.w3.weight";
      }
    } else {
      l.ffn = FfnKind::dense;
      l.ffn_hidden = a.ffn_hidden_dim();
      l.w1 = p + "feed_forward.w1.weight";
      l.w2 = p + "feed_forward.w2.weight";
      l.w3 = p + "feed_forward.w3.weight";
    }
    s.layers.push_back(std::move(l));
  }
  return s;
}

}  // namespace titan
