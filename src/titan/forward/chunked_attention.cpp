#include "titan/forward/chunked_attention.hpp"

namespace titan {

namespace {

using Team = Kokkos::TeamPolicy<ExecSpace>;
using Member = Team::member_type;
using Range = Kokkos::RangePolicy<ExecSpace>;

KOKKOS_INLINE_FUNCTION float fexp(float v) {
#if KOKKOS_VERSION >= 40000
  return Kokkos::exp(v);
#else
  return Kokkos::Experimental::exp(v);
#endif
}

}  // namespace

namespace detail {  // external linkage: nvcc's extended lambdas want a named enclosing function

void causal_softmax(FMat s, float scale);

// Row i of s [n, n] (one chunk's scores): softmax of scale * s(i, j) over
// j <= i; the entries above the diagonal (later positions) become 0.
void causal_softmax(FMat s, float scale) {
  std::int64_t const n = s.extent(0);
  Kokkos::parallel_for("forward:chunk_softmax", Team(n, Kokkos::AUTO), KOKKOS_LAMBDA(Member const& t) {
    std::int64_t const i = t.league_rank();
    float mx = -3.4e38f;
    Kokkos::parallel_reduce(Kokkos::TeamThreadRange(t, i + 1), [&](std::int64_t j, float& m) {
      float const v = s(i, j) * scale;
      m = v > m ? v : m;
    }, Kokkos::Max<float>(mx));
    float sum = 0;
    Kokkos::parallel_reduce(Kokkos::TeamThreadRange(t, i + 1), [&](std::int64_t j, float& acc) {
      acc += fexp(s(i, j) * scale - mx);
    }, sum);
    Kokkos::parallel_for(Kokkos::TeamThreadRange(t, n), [&](std::int64_t j) {
      s(i, j) = j <= i ? fexp(s(i, j) * scale - mx) / sum : 0.0f;
    });
  });
}

}  // namespace detail

void attention_with_chunks(F4 q, F4 k, F4 v, float scale, std::int64_t chunk, FMat scores, F4 heads_out, FMat out,
                           FlopCounter& fc) {
  std::int64_t const n_seq = q.extent(0), hq = q.extent(1), T = q.extent(2), hd = q.extent(3);
  if (chunk <= 0 || chunk >= T) {  // one chunk: the plain causal path, unchanged
    causal_attention(q, k, v, scale, scores, heads_out, out, fc);
    return;
  }
  std::int64_t const hkv = k.extent(1), group = hq / hkv;
  if (n_seq == 0) return;
  for (std::int64_t b = 0; b < n_seq; ++b) {
    for (std::int64_t h = 0; h < hq; ++h) {
      std::int64_t const g = h / group;  // GQA: query head h reads kv head h / (Hq/Hkv)
      for (std::int64_t c0 = 0; c0 < T; c0 += chunk) {
        // Positions [c0, c0 + n) of one head are contiguous rows of the
        // head-major buffers: the chunk's own q, k, v and output matrices.
        std::int64_t const n = T - c0 < chunk ? T - c0 : chunk;
        FMat qc(q.data() + ((b * hq + h) * T + c0) * hd, n, hd);
        FMat kc(k.data() + ((b * hkv + g) * T + c0) * hd, n, hd);
        FMat vc(v.data() + ((b * hkv + g) * T + c0) * hd, n, hd);
        FMat oc(heads_out.data() + ((b * hq + h) * T + c0) * hd, n, hd);
        FMat sc(scores.data(), n, n);  // the [T, T] scratch holds an n x n block
        gemm(true, 1.0f, qc, kc, 0.0f, sc, fc);  // scores = q k^T within the chunk
        detail::causal_softmax(sc, scale);
        gemm(false, 1.0f, sc, vc, 0.0f, oc, fc);  // o = P v
      }
    }
  }
  Kokkos::parallel_for("forward:chunk_heads_to_rows", Range(0, n_seq * T * hq * hd), KOKKOS_LAMBDA(std::int64_t i) {
    std::int64_t const e = i % hd, h = (i / hd) % hq, n = i / (hd * hq);
    out(n, h * hd + e) = heads_out(n / T, h, n % T, e);
  });
}

}  // namespace titan
