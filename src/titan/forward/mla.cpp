#include "titan/forward/mla.hpp"

#include "titan/core/errors.hpp"

namespace titan {

namespace {

using Range = Kokkos::RangePolicy<ExecSpace>;
using Mat = Kokkos::View<float**, Layout, MemSpace>;
using Mat4 = Kokkos::View<float****, Layout, MemSpace>;

template <class V>
std::int64_t view_bytes(V const& v) {
  return static_cast<std::int64_t>(v.span()) * static_cast<std::int64_t>(sizeof(float));
}

// q [N, H*qk] -> qh [Bl, H, T, qk]: the first `nope` features of each head
// copied, the last `rope` rotated as complex adjacent pairs (x[2j], x[2j+1])
// by the table row of the token's position (torchtitan's ComplexRoPE).
void q_to_heads(FMat q, std::int64_t H, std::int64_t nope, std::int64_t rope, std::int64_t T, FreqsView freqs, F4 qh) {
  std::int64_t const N = q.extent(0), qk = nope + rope;
  if (N == 0) return;
  Kokkos::parallel_for("forward:mla_q_heads", Range(0, N * H * qk), KOKKOS_LAMBDA(std::int64_t i) {
    std::int64_t const e = i % qk, h = (i / qk) % H, n = i / (qk * H), b = n / T, t = n % T, base = h * qk;
    if (e < nope) {
      qh(b, h, t, e) = q(n, base + e);
    } else {
      std::int64_t const r = e - nope, j = r / 2;
      float const x0 = q(n, base + nope + 2 * j), x1 = q(n, base + nope + 2 * j + 1);
      float const c = freqs(t, j, 0), s = freqs(t, j, 1);
      qh(b, h, t, e) = r % 2 == 0 ? x0 * c - x1 * s : x1 * c + x0 * s;
    }
  });
}

// kv [N, H*(nope+v)] and kv_a [N, kv_lora+rope] -> kh [Bl, H, T, nope+rope]
// (k_nope of the head, then the token's one k_pe, rotated, broadcast to all
// heads as torchtitan's k_pe.expand) and vh [Bl, H, T, v].
void kv_to_heads(FMat kv, FMat kv_a, std::int64_t kv_lora, std::int64_t H, std::int64_t nope, std::int64_t rope,
                 std::int64_t vd, std::int64_t T, FreqsView freqs, F4 kh, F4 vh) {
  std::int64_t const N = kv.extent(0), qk = nope + rope, width = qk + vd;
  if (N == 0) return;
  Kokkos::parallel_for("forward:mla_kv_heads", Range(0, N * H * width), KOKKOS_LAMBDA(std::int64_t i) {
    std::int64_t const e = i % width, h = (i / width) % H, n = i / (width * H), b = n / T, t = n % T;
    std::int64_t const base = h * (nope + vd);
    if (e < nope) {
      kh(b, h, t, e) = kv(n, base + e);
    } else if (e < qk) {
      std::int64_t const r = e - nope, j = r / 2;
      float const x0 = kv_a(n, kv_lora + 2 * j), x1 = kv_a(n, kv_lora + 2 * j + 1);
      float const c = freqs(t, j, 0), s = freqs(t, j, 1);
      kh(b, h, t, e) = r % 2 == 0 ? x0 * c - x1 * s : x1 * c + x0 * s;
    } else {
      vh(b, h, t, e - qk) = kv(n, base + nope + (e - qk));
    }
  });
}

// dst [N, c] = src[:, 0:c] (the compressed kv, so that RMSNorm reads a contiguous row).
void leading_columns(FMat src, FMat dst) {
  std::int64_t const N = dst.extent(0), c = dst.extent(1);
  if (N == 0) return;
  Kokkos::parallel_for("forward:mla_ckv", Range(0, N * c), KOKKOS_LAMBDA(std::int64_t i) {
    dst(i / c, i % c) = src(i / c, i % c);
  });
}

}  // namespace

MLAActivations::MLAActivations(DecoderSpec const& s, std::int64_t n_seq, std::int64_t T) {
  MLASpec const& m = s.mla;
  std::int64_t const N = n_seq * T, H = s.n_heads, qk = m.qk_nope_head_dim + m.qk_rope_head_dim;
  auto const a = [](char const* name, std::int64_t r, std::int64_t c) {
    return Mat(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string(name)), r, c);
  };
  auto const a4 = [&](char const* name, std::int64_t hd) {
    return Mat4(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string(name)), n_seq, H, T, hd);
  };
  cq = a("fwd:mla_cq", N, m.q_lora_rank);
  q = a("fwd:mla_q", N, H * qk);
  kv_a = a("fwd:mla_kv_a", N, m.kv_lora_rank + m.qk_rope_head_dim);
  ckv = a("fwd:mla_ckv", N, m.kv_lora_rank);
  kv = a("fwd:mla_kv", N, H * (m.qk_nope_head_dim + m.v_head_dim));
  attn = a("fwd:mla_attn", N, H * m.v_head_dim);
  qh = a4("fwd:mla_qh", qk);
  kh = a4("fwd:mla_kh", qk);
  vh = a4("fwd:mla_vh", m.v_head_dim);
  oh = a4("fwd:mla_oh", m.v_head_dim);
}

std::int64_t MLAActivations::bytes() const {
  return view_bytes(cq) + view_bytes(q) + view_bytes(kv_a) + view_bytes(ckv) + view_bytes(kv) + view_bytes(attn) +
         view_bytes(qh) + view_bytes(kh) + view_bytes(vh) + view_bytes(oh);
}

std::vector<std::pair<std::string, Shape>> mla_layer_weights(DecoderSpec const& s, LayerSpec const& l) {
  MLASpec const& m = s.mla;
  std::int64_t const D = s.dim, H = s.n_heads, qk = m.qk_nope_head_dim + m.qk_rope_head_dim;
  std::vector<std::pair<std::string, Shape>> w;
  if (m.q_lora_rank == 0) {
    w.push_back({l.wq, {H * qk, D}});
  } else {
    w.push_back({l.wq_a, {m.q_lora_rank, D}});
    w.push_back({l.q_lora_norm, {m.q_lora_rank}});
    w.push_back({l.wq_b, {H * qk, m.q_lora_rank}});
  }
  w.push_back({l.wkv_a, {m.kv_lora_rank + m.qk_rope_head_dim, D}});
  w.push_back({l.kv_norm, {m.kv_lora_rank}});
  w.push_back({l.wkv_b, {H * (m.qk_nope_head_dim + m.v_head_dim), m.kv_lora_rank}});
  w.push_back({l.wo, {D, H * m.v_head_dim}});
  return w;
}

MLAWeights mla_block_weights(DecoderSpec const& s, LayerSpec const& l, std::map<std::string, float*> const& at) {
  MLASpec const& m = s.mla;
  auto ptr = [&](std::string const& fqn) {
    auto it = at.find(fqn);
    if (it == at.end()) throw RunError("forward: MLA weight '" + fqn + "' was not gathered");
    return it->second;
  };
  std::int64_t const D = s.dim, H = s.n_heads, qk = m.qk_nope_head_dim + m.qk_rope_head_dim;
  MLAWeights w;
  if (m.q_lora_rank == 0) {
    w.wq = FMat(ptr(l.wq), H * qk, D);
  } else {
    w.wq_a = FMat(ptr(l.wq_a), m.q_lora_rank, D);
    w.q_norm = FVec(ptr(l.q_lora_norm), m.q_lora_rank);
    w.wq_b = FMat(ptr(l.wq_b), H * qk, m.q_lora_rank);
  }
  w.wkv_a = FMat(ptr(l.wkv_a), m.kv_lora_rank + m.qk_rope_head_dim, D);
  w.kv_norm = FVec(ptr(l.kv_norm), m.kv_lora_rank);
  w.wkv_b = FMat(ptr(l.wkv_b), H * (m.qk_nope_head_dim + m.v_head_dim), m.kv_lora_rank);
  w.wo = FMat(ptr(l.wo), D, H * m.v_head_dim);
  return w;
}

void mla_attention(DecoderSpec const& s, MLAWeights const& w, FreqsView freqs, MLAActivations& a, std::int64_t T,
                   FMat xn, FMat scores, FMat y, FlopCounter& fc) {
  MLASpec const& m = s.mla;
  std::int64_t const H = s.n_heads;
  // Query: directly, or through the low-rank path with its RMSNorm (236B, 671B).
  if (m.q_lora_rank == 0) {
    linear(xn, w.wq, a.q, fc);
  } else {
    linear(xn, w.wq_a, a.cq, fc);
    rms_norm(a.cq, w.q_norm, m.norm_eps, a.cq);
    linear(a.cq, w.wq_b, a.q, fc);
  }
  // Keys and values from the compressed kv; k_pe stays in kv_a's last columns.
  linear(xn, w.wkv_a, a.kv_a, fc);
  leading_columns(a.kv_a, a.ckv);
  rms_norm(a.ckv, w.kv_norm, m.norm_eps, a.ckv);
  linear(a.ckv, w.wkv_b, a.kv, fc);
  q_to_heads(a.q, H, m.qk_nope_head_dim, m.qk_rope_head_dim, T, freqs, a.qh);
  kv_to_heads(a.kv, a.kv_a, m.kv_lora_rank, H, m.qk_nope_head_dim, m.qk_rope_head_dim, m.v_head_dim, T, freqs, a.kh,
              a.vh);
  // Every head has its own k and v (no GQA); v may be narrower than q.k.
  causal_attention(a.qh, a.kh, a.vh, static_cast<float>(m.softmax_scale), scores, a.oh, a.attn, fc);
  linear(a.attn, w.wo, y, fc);
}

}  // namespace titan
