#include "titan/compute/attention_core.hpp"
#include "titan/core/math_compat.hpp"

#include "titan/compute/gemm.hpp"

namespace titan {

namespace {

using Team = Kokkos::TeamPolicy<ExecSpace>;
using Member = Team::member_type;


// The query blocks: [c0, c0 + n) with keys [c0, c0 + n) for chunked
// attention, else one block of every position with every key.
struct Block {
  std::int64_t q0, n;   // query rows
  std::int64_t k0, nk;  // key rows
};

template <class F>
void for_each_block(std::int64_t T, AttentionMask m, F&& f) {
  if (m.chunk <= 0 || m.chunk >= T) {
    f(Block{0, T, 0, T});
    return;
  }
  for (std::int64_t c0 = 0; c0 < T; c0 += m.chunk) {
    std::int64_t const n = T - c0 < m.chunk ? T - c0 : m.chunk;
    f(Block{c0, n, c0, n});
  }
}

// A [rows, cols] matrix of a head-major buffer: rows [r0, r0 + n) of head (b, h).
FMat head_rows(F4 x, std::int64_t b, std::int64_t h, std::int64_t r0, std::int64_t n) {
  std::int64_t const H = x.extent(1), T = x.extent(2), w = x.extent(3);
  return FMat(x.data() + ((b * H + h) * T + r0) * w, n, w);
}

}  // namespace

namespace detail {  // external linkage: nvcc's extended lambdas want a named enclosing function

void masked_softmax(FMat s, Block blk, float scale, std::int64_t window, bool has_sink, float sink, FVec p_sink);

// Row i of s [n, nk] (query q0 + i against keys k0 .. k0 + nk): softmax of
// scale * s over the visible keys [lo, q0 + i] (lo from the block and the
// window), with exp(sink) in the denominator when there is one; the other
// entries become 0. p_sink(i) receives the sink's share (when not empty).
void masked_softmax(FMat s, Block blk, float scale, std::int64_t window, bool has_sink, float sink, FVec p_sink) {
  std::int64_t const n = blk.n, nk = blk.nk, q0 = blk.q0, k0 = blk.k0;
  bool const want_sink = p_sink.extent(0) > 0;
  Kokkos::parallel_for("compute:attention_softmax", Team(n, Kokkos::AUTO), KOKKOS_LAMBDA(Member const& t) {
    std::int64_t const i = t.league_rank(), gi = q0 + i;
    std::int64_t lo = window > 0 && gi - window + 1 > k0 ? gi - window + 1 - k0 : 0;
    std::int64_t const hi = gi - k0 + 1;  // exclusive
    float mx = -3.4e38f;
    Kokkos::parallel_reduce(Kokkos::TeamThreadRange(t, lo, hi), [&](std::int64_t j, float& m) {
      float const v = s(i, j) * scale;
      m = v > m ? v : m;
    }, Kokkos::Max<float>(mx));
    mx = has_sink && sink > mx ? sink : mx;
    float sum = 0;
    Kokkos::parallel_reduce(Kokkos::TeamThreadRange(t, lo, hi), [&](std::int64_t j, float& acc) {
      acc += math::exp(s(i, j) * scale - mx);
    }, sum);
    if (has_sink) sum += math::exp(sink - mx);
    Kokkos::parallel_for(Kokkos::TeamThreadRange(t, nk), [&](std::int64_t j) {
      s(i, j) = j >= lo && j < hi ? math::exp(s(i, j) * scale - mx) / sum : 0.0f;
    });
    if (want_sink) Kokkos::single(Kokkos::PerTeam(t), [&]() { p_sink(i) = has_sink ? math::exp(sink - mx) / sum : 0.0f; });
  });
}

void softmax_grad(FMat p, FMat dp, float scale, FVec delta);

// dp [n, nk] <- scale * p * (dp - delta), delta(i) = sum_j p(i, j) dp(i, j)
// (the softmax's gradient; masked entries have p = 0 and stay 0).
void softmax_grad(FMat p, FMat dp, float scale, FVec delta) {
  std::int64_t const n = p.extent(0), nk = p.extent(1);
  Kokkos::parallel_for("compute:attention_softmax_grad", Team(n, Kokkos::AUTO), KOKKOS_LAMBDA(Member const& t) {
    std::int64_t const i = t.league_rank();
    float d = 0;
    Kokkos::parallel_reduce(Kokkos::TeamThreadRange(t, nk), [&](std::int64_t j, float& acc) { acc += p(i, j) * dp(i, j); }, d);
    Kokkos::parallel_for(Kokkos::TeamThreadRange(t, nk), [&](std::int64_t j) { dp(i, j) = scale * p(i, j) * (dp(i, j) - d); });
    Kokkos::single(Kokkos::PerTeam(t), [&]() { delta(i) = d; });
  });
}

void sink_grad(FVec p_sink, FVec delta, FVec dsinks, std::int64_t h);

// dsinks(h) -= sum_i p_sink(i) delta(i), rows in order.
void sink_grad(FVec p_sink, FVec delta, FVec dsinks, std::int64_t h) {
  std::int64_t const n = p_sink.extent(0);
  Kokkos::parallel_for("compute:attention_sink_grad", Kokkos::RangePolicy<ExecSpace>(0, 1), KOKKOS_LAMBDA(std::int64_t) {
    float acc = 0;
    for (std::int64_t i = 0; i < n; ++i) acc += p_sink(i) * delta(i);
    dsinks(h) -= acc;
  });
}

}  // namespace detail

void attention_core_flops(std::int64_t n_seq, std::int64_t hq, std::int64_t T, std::int64_t hd, std::int64_t hv,
                          AttentionMask mask, double& forward, double& backward) {
  double squares = 0;  // the blocks' n * nk, summed
  for_each_block(T, mask, [&](Block blk) { squares += static_cast<double>(blk.n) * static_cast<double>(blk.nk); });
  double const heads = static_cast<double>(n_seq) * static_cast<double>(hq);
  double const d = static_cast<double>(hd), v = static_cast<double>(hv);
  forward = heads * squares * 2 * (d + v);
  backward = heads * squares * 2 * (3 * d + 2 * v);
}

void attention_forward(F4 q, F4 k, F4 v, float scale, AttentionMask mask, FVec sinks, F4 out, FlopCounter& fc) {
  std::int64_t const n_seq = q.extent(0), hq = q.extent(1), T = q.extent(2);
  std::int64_t const hkv = k.extent(1), group = hq / hkv;
  if (n_seq == 0 || T == 0) return;
  bool const has_sinks = sinks.extent(0) > 0;
  auto sinks_h = Kokkos::create_mirror_view_and_copy(HostSpace(), sinks);
  std::int64_t const side = mask.chunk > 0 && mask.chunk < T ? mask.chunk : T;
  Kokkos::View<float**, Layout, MemSpace> scores(Kokkos::view_alloc(Kokkos::WithoutInitializing, "attn:scores"), side, side);
  for (std::int64_t b = 0; b < n_seq; ++b)
    for (std::int64_t h = 0; h < hq; ++h) {
      std::int64_t const g = h / group;  // GQA: query head h reads kv head h / (Hq/Hkv)
      float const sink = has_sinks ? sinks_h(h) : 0.0f;
      for_each_block(T, mask, [&](Block blk) {
        FMat s(scores.data(), blk.n, blk.nk);
        gemm(false, true, 1.0f, head_rows(q, b, h, blk.q0, blk.n), head_rows(k, b, g, blk.k0, blk.nk), 0.0f, s, fc);
        detail::masked_softmax(s, blk, scale, mask.window, has_sinks, sink, FVec());
        gemm(false, false, 1.0f, s, head_rows(v, b, g, blk.k0, blk.nk), 0.0f, head_rows(out, b, h, blk.q0, blk.n), fc);
      });
    }
}

void attention_backward(F4 q, F4 k, F4 v, float scale, AttentionMask mask, FVec sinks, F4 dout, F4 dq, F4 dk, F4 dv,
                        FVec dsinks, FlopCounter& fc) {
  std::int64_t const n_seq = q.extent(0), hq = q.extent(1), T = q.extent(2);
  std::int64_t const hkv = k.extent(1), group = hq / hkv;
  if (n_seq == 0 || T == 0) return;
  bool const has_sinks = sinks.extent(0) > 0;
  auto sinks_h = Kokkos::create_mirror_view_and_copy(HostSpace(), sinks);
  std::int64_t const side = mask.chunk > 0 && mask.chunk < T ? mask.chunk : T;
  auto const mat = [&](char const* name) {
    return Kokkos::View<float**, Layout, MemSpace>(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string(name)), side, side);
  };
  auto p_buf = mat("attn:p"), dp_buf = mat("attn:dp");
  Kokkos::View<float*, Layout, MemSpace> p_sink_buf("attn:p_sink", side), delta_buf("attn:delta", side);
  for (std::int64_t b = 0; b < n_seq; ++b)
    for (std::int64_t h = 0; h < hq; ++h) {
      std::int64_t const g = h / group;
      float const sink = has_sinks ? sinks_h(h) : 0.0f;
      for_each_block(T, mask, [&](Block blk) {
        FMat p(p_buf.data(), blk.n, blk.nk), dp(dp_buf.data(), blk.n, blk.nk);
        FVec p_sink(p_sink_buf.data(), blk.n), delta(delta_buf.data(), blk.n);
        FMat qb = head_rows(q, b, h, blk.q0, blk.n), kb = head_rows(k, b, g, blk.k0, blk.nk);
        FMat vb = head_rows(v, b, g, blk.k0, blk.nk), dob = head_rows(dout, b, h, blk.q0, blk.n);
        gemm(false, true, 1.0f, qb, kb, 0.0f, p, fc);  // recompute P
        detail::masked_softmax(p, blk, scale, mask.window, has_sinks, sink, p_sink);
        gemm(false, true, 1.0f, dob, vb, 0.0f, dp, fc);                              // dP = dO v^T
        gemm(true, false, 1.0f, p, dob, 1.0f, head_rows(dv, b, g, blk.k0, blk.nk), fc);  // dV += P^T dO
        detail::softmax_grad(p, dp, scale, delta);                                    // dp <- dS (scaled)
        gemm(false, false, 1.0f, dp, kb, 0.0f, head_rows(dq, b, h, blk.q0, blk.n), fc);   // dQ = dS K
        gemm(true, false, 1.0f, dp, qb, 1.0f, head_rows(dk, b, g, blk.k0, blk.nk), fc);   // dK += dS^T Q
        if (has_sinks) detail::sink_grad(p_sink, delta, dsinks, h);
      });
    }
}

}  // namespace titan
