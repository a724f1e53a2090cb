#include "titan/forward/block.hpp"

#include "titan/forward/chunked_attention.hpp"
#include "titan/forward/bias.hpp"
#include "titan/forward/sink_attention.hpp"

#include <algorithm>
#include <cmath>

namespace titan {

namespace {
template <class V>
std::int64_t view_bytes(V const& v) {
  return static_cast<std::int64_t>(v.span()) * static_cast<std::int64_t>(sizeof(float));
}
}  // namespace

Activations::Activations(DecoderSpec const& s, std::int64_t n_seq_, std::int64_t T_) : n_seq(n_seq_), T(T_) {
  std::int64_t const N = n_seq * T, hd = s.head_dim;
  std::int64_t F = 0;
  for (auto const& l : s.layers)
    if (l.ffn == FfnKind::dense) F = std::max(F, l.ffn_hidden);
  auto const a = [](char const* name, std::int64_t r, std::int64_t c) {
    return Kokkos::View<float**, Layout, MemSpace>(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string(name)), r, c);
  };
  auto const a4 = [&](char const* name, std::int64_t heads) {
    return Kokkos::View<float****, Layout, MemSpace>(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string(name)), n_seq, heads, T, hd);
  };
  bool const mla_model = s.attention == AttentionKind::mla;
  std::int64_t const hq = mla_model ? 0 : s.n_heads, hkv = mla_model ? 0 : s.n_kv_heads;  // MLA has its own buffers
  xn = a("fwd:xn", N, s.dim);
  q = a("fwd:q", N, hq * hd);
  k = a("fwd:k", N, hkv * hd);
  v = a("fwd:v", N, hkv * hd);
  attn = a("fwd:attn", N, hq * hd);
  y = a("fwd:y", N, s.dim);
  h1 = a("fwd:h1", N, F);
  h3 = a("fwd:h3", N, F);
  scores = a("fwd:scores", T, T);
  qh = a4("fwd:qh", hq);
  kh = a4("fwd:kh", hkv);
  vh = a4("fwd:vh", hkv);
  oh = a4("fwd:oh", hq);
  if (mla_model) mla = MLAActivations(s, n_seq, T);
}

std::int64_t Activations::bytes() const {
  return view_bytes(xn) + view_bytes(q) + view_bytes(k) + view_bytes(v) + view_bytes(attn) + view_bytes(y) +
         view_bytes(h1) + view_bytes(h3) + view_bytes(scores) + view_bytes(qh) + view_bytes(kh) + view_bytes(vh) +
         view_bytes(oh) + mla.bytes();
}

void block_forward(DecoderSpec const& s, LayerSpec const& l, BlockWeights const& w, FreqsView freqs, Activations& a,
                   FMat x, FlopCounter& fc) {
  std::int64_t const N = x.extent(0), hd = s.head_dim;
  if (N == 0) return;
  // ---- attention: h = x + wo(attn(rope(q), rope(k), v)) on RMSNorm(x)
  rms_norm(x, w.attention_norm, s.norm_eps, a.xn);
  if (s.attention == AttentionKind::mla) {
    mla_attention(s, w.mla, freqs, a.mla, a.T, a.xn, a.scores, a.y, fc);
  } else {
    linear(a.xn, w.wq, a.q, fc);
    linear(a.xn, w.wk, a.k, fc);
    linear(a.xn, w.wv, a.v, fc);
    if (!l.wq_bias.empty()) add_bias(a.q, w.bq);  // gpt-oss: biased projections
    if (!l.wk_bias.empty()) add_bias(a.k, w.bk);
    if (!l.wv_bias.empty()) add_bias(a.v, w.bv);
    if (s.qk_norm) {  // per head, before RoPE (Qwen3)
      head_rms_norm(a.q, s.n_heads, hd, w.q_norm, s.qk_norm_eps);
      head_rms_norm(a.k, s.n_kv_heads, hd, w.k_norm, s.qk_norm_eps);
    }
    rope_to_heads(a.q, s.n_heads, hd, a.T, freqs, s.rope_style, l.use_rope, a.qh);
    rope_to_heads(a.k, s.n_kv_heads, hd, a.T, freqs, s.rope_style, l.use_rope, a.kh);
    rope_to_heads(a.v, s.n_kv_heads, hd, a.T, freqs, s.rope_style, false, a.vh);
    float const scale = static_cast<float>(s.attn_scale > 0 ? s.attn_scale : 1.0 / std::sqrt(static_cast<double>(hd)));
    if (!l.sinks.empty() || l.sliding_window > 0)  // gpt-oss: sinks in the denominator, sliding window
      sink_attention(a.qh, a.kh, a.vh, scale, w.sinks, l.sliding_window, a.scores, a.oh, a.attn, fc);
    else  // attn_chunk 0: causal_attention; > 0: causal within chunks (Llama4)
      attention_with_chunks(a.qh, a.kh, a.vh, scale, l.attn_chunk, a.scores, a.oh, a.attn, fc);
    linear(a.attn, w.wo, a.y, fc);
    if (!l.wo_bias.empty()) add_bias(a.y, w.bo);
  }
  add_into(x, a.y);
  // ---- feed-forward: out = h + FFN(RMSNorm(h))
  rms_norm(x, w.ffn_norm, s.norm_eps, a.xn);
  if (l.ffn == FfnKind::dense) {
    FMat h1(a.h1.data(), N, l.ffn_hidden), h3(a.h3.data(), N, l.ffn_hidden);
    swiglu(a.xn, w.w1, w.w2, w.w3, h1, h3, a.y, fc);
  } else if (l.moe.experts == ExpertKind::gpt_oss) {
    gpt_oss_moe_forward(a.xn, w.gpt_oss_moe, l.moe, a.y, fc);
  } else {
    moe_forward(a.xn, w.moe, l.moe, a.y, fc);
  }
  add_into(x, a.y);
}

}  // namespace titan
