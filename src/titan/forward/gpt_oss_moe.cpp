#include "titan/forward/gpt_oss_moe.hpp"

#include "titan/forward/bias.hpp"

#include <vector>

namespace titan {

namespace {

using Range = Kokkos::RangePolicy<ExecSpace>;

KOKKOS_INLINE_FUNCTION float fexp(float v) {
#if KOKKOS_VERSION >= 40000
  return Kokkos::exp(v);
#else
  return Kokkos::Experimental::exp(v);
#endif
}

// a[r, f] = clamped SwiGLU of the pair (h[r, 2f], h[r, 2f+1]) (gate, up).
void clamped_swiglu(FMat h, FMat a, float limit, float alpha) {
  std::int64_t const fm = a.extent(1), total = static_cast<std::int64_t>(a.extent(0)) * fm;
  if (total == 0) return;
  Kokkos::parallel_for("forward:gpt_oss_swiglu", Range(0, total), KOKKOS_LAMBDA(std::int64_t i) {
    std::int64_t const r = i / fm, f = i % fm;
    float g = h(r, 2 * f), u = h(r, 2 * f + 1);
    g = g < limit ? g : limit;                      // the gate is clamped from above only
    u = u < -limit ? -limit : (u > limit ? limit : u);
    float const glu = g / (1.0f + fexp(-alpha * g));  // g sigmoid(alpha g)
    a(r, f) = glu + glu * u;                          // glu (u + 1), as torch's addcmul
  });
}

}  // namespace

void gpt_oss_moe_forward(FMat x, GptOssMoEWeights const& w, MoESpec const& spec, FMat out, FlopCounter& fc) {
  std::int64_t const N = x.extent(0), D = x.extent(1), E = spec.num_experts, K = spec.top_k, Fm = spec.hidden;
  if (N == 0) return;
  // ---- Router (fp32): gate with bias, scores, top-k on scores + expert_bias.
  Kokkos::View<float**, Layout, MemSpace> scores("moe:scores", N, E);
  linear(x, w.gate, scores, fc);
  if (w.gate_bias.extent(0) > 0) add_bias(scores, w.gate_bias);
  Kokkos::View<std::int64_t**, Layout, MemSpace> chosen("moe:chosen", N, K);
  Kokkos::View<float**, Layout, MemSpace> gates("moe:gates", N, K);
  FVec const bias = w.expert_bias;
  bool const has_bias = bias.extent(0) > 0, softmax = spec.score_func == ScoreFunc::softmax, norm = spec.route_norm;
  float const route_scale = static_cast<float>(spec.route_scale);
  // One work item per token: E and K are small (routing is not the cost).
  Kokkos::parallel_for("forward:gpt_oss_route", Range(0, N), KOKKOS_LAMBDA(std::int64_t n) {
    if (softmax) {
      float mx = -3.4e38f;
      for (std::int64_t e = 0; e < E; ++e) mx = scores(n, e) > mx ? scores(n, e) : mx;
      float sum = 0;
      for (std::int64_t e = 0; e < E; ++e) sum += fexp(scores(n, e) - mx);
      for (std::int64_t e = 0; e < E; ++e) scores(n, e) = fexp(scores(n, e) - mx) / sum;
    } else {
      for (std::int64_t e = 0; e < E; ++e) scores(n, e) = 1.0f / (1.0f + fexp(-scores(n, e)));
    }
    float total = 0;
    for (std::int64_t k = 0; k < K; ++k) {  // k-th largest biased score; ties: lower expert id
      std::int64_t best = -1;
      float best_v = 0;
      for (std::int64_t e = 0; e < E; ++e) {
        bool taken = false;
        for (std::int64_t kk = 0; kk < k; ++kk) taken = taken || chosen(n, kk) == e;
        if (taken) continue;
        float const v = scores(n, e) + (has_bias ? bias(e) : 0.0f);
        if (best < 0 || v > best_v) {
          best = e;
          best_v = v;
        }
      }
      chosen(n, k) = best;
      gates(n, k) = scores(n, best);
      total += scores(n, best);
    }
    for (std::int64_t k = 0; k < K; ++k) {
      float g = gates(n, k);
      if (norm) g = g / (total + 1e-20f);
      gates(n, k) = g * route_scale;
    }
  });
  // ---- Dispatch: group the N*K (token, expert) pairs by expert (host counting sort).
  auto chosen_h = Kokkos::create_mirror_view_and_copy(HostSpace(), chosen);
  std::vector<std::int64_t> offset(static_cast<std::size_t>(E + 1), 0);
  for (std::int64_t i = 0; i < N * K; ++i) ++offset[static_cast<std::size_t>(chosen_h.data()[i] + 1)];
  for (std::int64_t e = 0; e < E; ++e) offset[e + 1] += offset[e];
  Kokkos::View<std::int64_t*, Layout, MemSpace> slot_token("moe:slot_token", N * K);
  Kokkos::View<std::int64_t**, Layout, MemSpace> slot_of("moe:slot_of", N, K);
  {
    auto st = Kokkos::create_mirror_view(slot_token);
    auto so = Kokkos::create_mirror_view(slot_of);
    std::vector<std::int64_t> fill(offset.begin(), offset.end() - 1);
    for (std::int64_t n = 0; n < N; ++n)
      for (std::int64_t k = 0; k < K; ++k) {
        std::int64_t const s = fill[static_cast<std::size_t>(chosen_h(n, k))]++;
        st(s) = n;
        so(n, k) = s;
      }
    Kokkos::deep_copy(slot_token, st);
    Kokkos::deep_copy(slot_of, so);
  }
  Kokkos::View<float**, Layout, MemSpace> xs("moe:x_sorted", N * K, D), ys("moe:y_sorted", N * K, D);
  Kokkos::View<float**, Layout, MemSpace> h("moe:h", N * K, 2 * Fm), act("moe:act", N * K, Fm);
  Kokkos::parallel_for("forward:moe_dispatch", Range(0, N * K * D), KOKKOS_LAMBDA(std::int64_t i) {
    xs(i / D, i % D) = x(slot_token(i / D), i % D);
  });
  // ---- Experts: mlp1 + bias, clamped SwiGLU, mlp2 + bias, on each expert's rows.
  float const limit = static_cast<float>(spec.swiglu_limit), alpha = static_cast<float>(spec.swiglu_alpha);
  for (std::int64_t e = 0; e < E; ++e) {
    std::int64_t const r0 = offset[e], rows = offset[e + 1] - offset[e];
    if (rows == 0) continue;
    FMat xe(xs.data() + r0 * D, rows, D), ye(ys.data() + r0 * D, rows, D);
    FMat he(h.data() + r0 * 2 * Fm, rows, 2 * Fm), ae(act.data() + r0 * Fm, rows, Fm);
    FMat w1e(w.mlp1.data() + e * 2 * Fm * D, 2 * Fm, D), w2e(w.mlp2.data() + e * D * Fm, D, Fm);
    FVec b1e(w.mlp1_bias.data() + e * 2 * Fm, 2 * Fm), b2e(w.mlp2_bias.data() + e * D, D);
    linear(xe, w1e, he, fc);
    add_bias(he, b1e);
    clamped_swiglu(he, ae, limit, alpha);
    linear(ae, w2e, ye, fc);
    add_bias(ye, b2e);
  }
  // ---- Combine: out = sum_k gate_k * y_k, per token without atomics.
  Kokkos::parallel_for("forward:moe_combine", Range(0, N * D), KOKKOS_LAMBDA(std::int64_t i) {
    std::int64_t const n = i / D, d = i % D;
    float acc = 0;
    for (std::int64_t k = 0; k < K; ++k) acc += gates(n, k) * ys(slot_of(n, k), d);
    out(n, d) = acc;
  });
}

}  // namespace titan
