#include "titan/forward/sink_attention.hpp"

namespace titan {

namespace {

using Team = Kokkos::TeamPolicy<ExecSpace>;
using Member = Team::member_type;

KOKKOS_INLINE_FUNCTION float fexp(float v) {
#if KOKKOS_VERSION >= 40000
  return Kokkos::exp(v);
#else
  return Kokkos::Experimental::exp(v);
#endif
}

}  // namespace

void sink_attention(F4 q, F4 k, F4 v, float scale, FVec sinks, std::int64_t window, FMat scores, F4 heads_out,
                    FMat out, FlopCounter& fc) {
  std::int64_t const n_seq = q.extent(0), hq = q.extent(1), T = q.extent(2), hd = q.extent(3);
  std::int64_t const hkv = k.extent(1), group = hq / hkv;
  if (n_seq == 0) return;
  bool const has_sinks = sinks.extent(0) > 0;
  for (std::int64_t b = 0; b < n_seq; ++b) {
    for (std::int64_t h = 0; h < hq; ++h) {
      std::int64_t const g = h / group;  // GQA: query head h reads kv head h / (Hq/Hkv)
      FMat qh(q.data() + (b * hq + h) * T * hd, T, hd);
      FMat kh(k.data() + (b * hkv + g) * T * hd, T, hd);
      FMat vh(v.data() + (b * hkv + g) * T * hd, T, hd);
      FMat oh(heads_out.data() + (b * hq + h) * T * hd, T, hd);
      gemm(true, 1.0f, qh, kh, 0.0f, scores, fc);  // scores = q k^T
      // Softmax of scale * scores over the visible columns [lo, i], with the
      // sink's exp in the denominator; the maximum includes the sink so that
      // neither term overflows. Columns outside [lo, i] become 0.
      Kokkos::parallel_for("forward:sink_softmax", Team(T, Kokkos::AUTO), KOKKOS_LAMBDA(Member const& t) {
        std::int64_t const i = t.league_rank();
        std::int64_t const lo = window > 0 && i - window + 1 > 0 ? i - window + 1 : 0;
        float const sink = has_sinks ? sinks(h) : 0.0f;
        float mx = -3.4e38f;
        Kokkos::parallel_reduce(Kokkos::TeamThreadRange(t, lo, i + 1), [&](std::int64_t j, float& m) {
          float const s = scores(i, j) * scale;
          m = s > m ? s : m;
        }, Kokkos::Max<float>(mx));
        mx = has_sinks && sink > mx ? sink : mx;
        float sum = 0;
        Kokkos::parallel_reduce(Kokkos::TeamThreadRange(t, lo, i + 1), [&](std::int64_t j, float& acc) {
          acc += fexp(scores(i, j) * scale - mx);
        }, sum);
        if (has_sinks) sum += fexp(sink - mx);
        Kokkos::parallel_for(Kokkos::TeamThreadRange(t, T), [&](std::int64_t j) {
          scores(i, j) = j >= lo && j <= i ? fexp(scores(i, j) * scale - mx) / sum : 0.0f;
        });
      });
      gemm(false, 1.0f, scores, vh, 0.0f, oh, fc);  // o = P v
    }
  }
  Kokkos::parallel_for("forward:heads_to_rows", Kokkos::RangePolicy<ExecSpace>(0, n_seq * T * hq * hd),
                       KOKKOS_LAMBDA(std::int64_t i) {
                         std::int64_t const e = i % hd, hh = (i / hd) % hq, n = i / (hd * hq);
                         out(n, hh * hd + e) = heads_out(n / T, hh, n % T, e);
                       });
}

}  // namespace titan
