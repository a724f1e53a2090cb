#include "titan/models/gpt_oss/gpt_oss_spec.hpp"

namespace titan {

DecoderSpec gpt_oss_decoder_spec(GptOssArgs const& a) {
  DecoderSpec s;
  s.family = "gpt_oss";
  s.dim = a.dim;
  s.n_heads = a.n_heads;
  s.n_kv_heads = a.n_kv_heads;
  s.head_dim = a.head_dim;  // explicit: Hq * hd (4096) differs from D
  s.vocab_size = a.vocab_size;
  s.max_seq_len = a.max_seq_len;
  s.norm_eps = a.norm_eps;
  // torchtitan's CosSinRoPE (rotate-half pairs (x[j], x[j + hd/2])) on a
  // YaRN table; titan's freqs_cis holds the same cos/sin per (position, j)
  // (gpt_oss_config: scaling "yarn", no truncation). The YaRN mscale is not
  // in the table: torchtitan folds mscale^2 into the softmax scale
  // (Attention.__init__), and so does the spec here.
  s.rope_style = RopeStyle::rotate_half;
  s.attn_scale = a.softmax_scale();
  s.tie_embeddings = false;
  s.tok_embeddings = "tok_embeddings.weight";
  s.norm = "norm.weight";
  s.output = "output.weight";
  for (std::int64_t i = 0; i < a.n_layers; ++i) {
    std::string const p = "layers." + std::to_string(i) + ".";
    LayerSpec l;
    l.attention_norm = p + "attention_norm.weight";
    l.ffn_norm = p + "ffn_norm.weight";
    // torchtitan's fused wqkv groups its rows per kv head g (Hq/Hkv q heads,
    // then k, then v) and its state-dict hooks save/load it as the stock
    // wq/wk/wv: titan's tensors, each with its bias. Query head
    // g * (Hq/Hkv) + j reads kv head g: the GQA rule h / (Hq/Hkv).
    l.wq = p + "attention.wq.weight";
    l.wk = p + "attention.wk.weight";
    l.wv = p + "attention.wv.weight";
    l.wo = p + "attention.wo.weight";
    l.wq_bias = p + "attention.wq.bias";
    l.wk_bias = p + "attention.wk.bias";
    l.wv_bias = p + "attention.wv.bias";
    l.wo_bias = p + "attention.wo.bias";
    l.sinks = p + "attention.sinks";
    l.sliding_window = a.is_sliding_layer(i) ? a.sliding_window : 0;
    l.ffn = FfnKind::moe;  // every layer, no shared experts
    MoESpec& m = l.moe;
    m.num_experts = a.num_experts;
    m.top_k = a.top_k;
    m.hidden = a.moe_hidden_dim;
    m.score_func = a.score_func == "sigmoid" ? ScoreFunc::sigmoid : ScoreFunc::softmax;
    m.route_norm = a.route_norm;
    m.route_scale = a.route_scale;
    m.router_gate = p + "moe.router.gate.weight";
    m.router_bias = p + "moe.router.gate.bias";
    m.experts = ExpertKind::gpt_oss;
    m.mlp1 = p + "moe.experts.mlp1_weight";
    m.mlp1_bias = p + "moe.experts.mlp1_bias";
    m.mlp2 = p + "moe.experts.mlp2_weight";
    m.mlp2_bias = p + "moe.experts.mlp2_bias";
    m.swiglu_limit = a.swiglu_limit;
    m.swiglu_alpha = a.swiglu_alpha;
    if (a.load_balance_coeff) m.expert_bias = p + "moe.expert_bias";  // the buffer exists iff set
    s.layers.push_back(std::move(l));
  }
  return s;
}

}  // namespace titan
