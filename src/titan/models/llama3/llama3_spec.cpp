#include "titan/models/llama3/llama3_spec.hpp"

#include "titan/modules/ffn_hidden_dim.hpp"

namespace titan {

DecoderSpec llama3_decoder_spec(Llama3Args const& a) {
  DecoderSpec s;
  s.family = "llama3";
  s.dim = a.dim;
  s.n_heads = a.n_heads;
  s.n_kv_heads = a.n_kv_heads.value_or(a.n_heads);
  s.head_dim = a.dim / a.n_heads;
  s.vocab_size = a.vocab_size;
  s.max_seq_len = a.max_seq_len;
  s.norm_eps = a.norm_eps;
  s.tie_embeddings = a.tie_embeddings;
  s.rope_style = RopeStyle::interleaved;
  s.qk_norm = false;
  s.tok_embeddings = "tok_embeddings.weight";
  s.norm = "norm.weight";
  s.output = "output.weight";
  std::int64_t const ffn = llama_ffn_hidden_dim(a.dim, a.multiple_of, a.ffn_dim_multiplier);
  for (std::int64_t i = 0; i < a.n_layers; ++i) {
    std::string const p = "layers." + std::to_string(i) + ".";
    LayerSpec l;
    l.attention_norm = p + "attention_norm.weight";
    l.ffn_norm = p + "ffn_norm.weight";
    l.wq = p + "attention.wq.weight";
    l.wk = p + "attention.wk.weight";
    l.wv = p + "attention.wv.weight";
    l.wo = p + "attention.wo.weight";
    l.ffn = FfnKind::dense;
    l.ffn_hidden = ffn;
    l.w1 = p + "feed_forward.w1.weight";
    l.w2 = p + "feed_forward.w2.weight";
    l.w3 = p + "feed_forward.w3.weight";
    s.layers.push_back(std::move(l));
  }
  return s;
}

}  // namespace titan
