#include "titan/compute/moe_kernels.hpp"
#include "titan/core/math_compat.hpp"

#include "titan/compute/moe_groups.hpp"

namespace titan {

namespace {
using Range = Kokkos::RangePolicy<ExecSpace>;

}  // namespace

namespace detail {  // external linkage: nvcc's extended lambdas want a named enclosing function

void choose_experts(FMat scores, FVec bias, RouterSettings s, Routing& r);

// One work item per token: E and K are small (routing is not the cost).
void choose_experts(FMat scores, FVec bias, RouterSettings s, Routing& r) {
  std::int64_t const N = scores.extent(0), E = s.num_experts, K = s.top_k;
  std::int64_t const G = s.n_groups, L = s.n_limited_groups, per_group = G > 0 ? E / G : E;
  bool const has_bias = bias.extent(0) > 0, softmax = s.softmax, norm = s.route_norm;
  float const route_scale = s.route_scale;
  auto chosen = r.chosen;
  auto gates = r.gates;
  auto total_v = r.total;
  Kokkos::View<std::uint8_t**, Layout, MemSpace> keep("moe:groups_kept", G > 0 ? N : 0, G);
  Kokkos::parallel_for("compute:moe_route", Range(0, N), KOKKOS_LAMBDA(std::int64_t n) {
    if (softmax) {
      float mx = -3.4e38f;
      for (std::int64_t e = 0; e < E; ++e) mx = scores(n, e) > mx ? scores(n, e) : mx;
      float sum = 0;
      for (std::int64_t e = 0; e < E; ++e) sum += math::exp(scores(n, e) - mx);
      for (std::int64_t e = 0; e < E; ++e) scores(n, e) = math::exp(scores(n, e) - mx) / sum;
    } else {
      for (std::int64_t e = 0; e < E; ++e) scores(n, e) = 1.0f / (1.0f + math::exp(-scores(n, e)));
    }
    if (G > 0)
      choose_expert_groups([&](std::int64_t e) { return scores(n, e) + (has_bias ? bias(e) : 0.0f); }, E, G, L, n, keep);
    float total = 0;
    for (std::int64_t k = 0; k < K; ++k) {  // k-th largest biased score; ties: lower expert id
      std::int64_t best = -1;
      float best_v = 0;
      for (std::int64_t e = 0; e < E; ++e) {
        bool taken = false;
        for (std::int64_t kk = 0; kk < k; ++kk) taken = taken || chosen(n, kk) == e;
        if (taken || (G > 0 && !keep(n, e / per_group))) continue;
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
    total_v(n) = total + 1e-20f;
    for (std::int64_t k = 0; k < K; ++k) {
      float g = gates(n, k);
      if (norm) g = g / (total + 1e-20f);
      gates(n, k) = g * route_scale;
    }
  });
}

}  // namespace detail

Routing route_tokens(FMat scores, FVec expert_bias, RouterSettings const& s) {
  std::int64_t const N = scores.extent(0), E = s.num_experts, K = s.top_k;
  Routing r;
  r.chosen = IndexMat("moe:chosen", N, K);
  r.gates = Act("moe:gates", N, K);
  r.total = Kokkos::View<float*, Layout, MemSpace>("moe:total", N);
  r.offset.assign(static_cast<std::size_t>(E + 1), 0);
  r.slot_token = IndexVec("moe:slot_token", N * K);
  r.slot_of = IndexMat("moe:slot_of", N, K);
  if (N == 0) return r;
  detail::choose_experts(scores, expert_bias, s, r);
  // Group the N*K (token, expert) pairs by expert: a counting sort on the host
  // (stable: tokens in order within an expert).
  auto chosen_h = Kokkos::create_mirror_view_and_copy(HostSpace(), r.chosen);
  for (std::int64_t i = 0; i < N * K; ++i) ++r.offset[static_cast<std::size_t>(chosen_h.data()[i] + 1)];
  for (std::int64_t e = 0; e < E; ++e) r.offset[e + 1] += r.offset[e];
  auto st = Kokkos::create_mirror_view(r.slot_token);
  auto so = Kokkos::create_mirror_view(r.slot_of);
  std::vector<std::int64_t> fill(r.offset.begin(), r.offset.end() - 1);
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t k = 0; k < K; ++k) {
      std::int64_t const slot = fill[static_cast<std::size_t>(chosen_h(n, k))]++;
      st(slot) = n;
      so(n, k) = slot;
    }
  Kokkos::deep_copy(r.slot_token, st);
  Kokkos::deep_copy(r.slot_of, so);
  return r;
}

void route_backward(FMat scores, Routing const& r, FMat dgates, RouterSettings const& s, FMat dlogits) {
  std::int64_t const N = scores.extent(0), E = s.num_experts, K = s.top_k;
  if (N == 0) return;
  bool const softmax = s.softmax, norm = s.route_norm;
  float const rs = s.route_scale;
  auto chosen = r.chosen;
  auto total = r.total;
  Kokkos::parallel_for("compute:moe_route_backward", Range(0, N), KOKKOS_LAMBDA(std::int64_t n) {
    // d(score of a chosen expert): g_k = rs s_k / total (route_norm) or rs s_k.
    for (std::int64_t e = 0; e < E; ++e) dlogits(n, e) = 0.0f;  // used as d(score) first
    float cross = 0;  // sum_k dg_k s_k
    for (std::int64_t k = 0; k < K; ++k) cross += dgates(n, k) * scores(n, chosen(n, k));
    float const t = total(n);
    for (std::int64_t k = 0; k < K; ++k) {
      float const dg = dgates(n, k);
      dlogits(n, chosen(n, k)) = norm ? rs * (dg / t - cross / (t * t)) : rs * dg;
    }
    // Through the probabilities: softmax dl_e = s_e (ds_e - sum_f s_f ds_f); sigmoid dl_e = ds_e s_e (1 - s_e).
    if (softmax) {
      float dot = 0;
      for (std::int64_t e = 0; e < E; ++e) dot += scores(n, e) * dlogits(n, e);
      for (std::int64_t e = 0; e < E; ++e) dlogits(n, e) = scores(n, e) * (dlogits(n, e) - dot);
    } else {
      for (std::int64_t e = 0; e < E; ++e) dlogits(n, e) = dlogits(n, e) * scores(n, e) * (1.0f - scores(n, e));
    }
  });
}

void dispatch_rows(FMat x, Routing const& r, bool scale_by_gate, FMat xs) {
  std::int64_t const D = x.extent(1), NK = xs.extent(0), K = r.slot_of.extent(1);
  if (NK == 0) return;
  auto slot_token = r.slot_token;
  Kokkos::parallel_for("compute:moe_dispatch", Range(0, NK * D), KOKKOS_LAMBDA(std::int64_t i) {
    xs(i / D, i % D) = x(slot_token(i / D), i % D);
  });
  if (scale_by_gate) {
    auto slot_of = r.slot_of;
    auto gates = r.gates;
    Kokkos::parallel_for("compute:moe_score_inputs", Range(0, NK * D), KOKKOS_LAMBDA(std::int64_t i) {
      std::int64_t const n = i / (K * D), k = (i / D) % K;
      xs(slot_of(n, k), i % D) *= gates(n, k);
    });
  }
}

void combine_rows(FMat ys, Routing const& r, bool gate_applied_before, FMat out) {
  std::int64_t const N = out.extent(0), D = out.extent(1), K = r.slot_of.extent(1);
  if (N == 0) return;
  auto slot_of = r.slot_of;
  auto gates = r.gates;
  bool const before = gate_applied_before;
  Kokkos::parallel_for("compute:moe_combine", Range(0, N * D), KOKKOS_LAMBDA(std::int64_t i) {
    std::int64_t const n = i / D, d = i % D;
    float acc = 0;
    for (std::int64_t k = 0; k < K; ++k) acc += (before ? ys(slot_of(n, k), d) : gates(n, k) * ys(slot_of(n, k), d));
    out(n, d) = acc;
  });
}

void combine_rows_backward(FMat dout, FMat ys, Routing const& r, bool gate_applied_before, FMat dys, FMat dgates) {
  std::int64_t const N = dout.extent(0), D = dout.extent(1), K = r.slot_of.extent(1);
  if (N == 0) return;
  auto slot_of = r.slot_of;
  auto gates = r.gates;
  bool const before = gate_applied_before;
  Kokkos::parallel_for("compute:moe_combine_backward", Range(0, N * K * D), KOKKOS_LAMBDA(std::int64_t i) {
    std::int64_t const n = i / (K * D), k = (i / D) % K, d = i % D;
    dys(slot_of(n, k), d) = before ? dout(n, d) : gates(n, k) * dout(n, d);
  });
  if (!before)
    Kokkos::parallel_for("compute:moe_gate_grad", Range(0, N * K), KOKKOS_LAMBDA(std::int64_t i) {
      std::int64_t const n = i / K, k = i % K, s = slot_of(n, k);
      float acc = 0;
      for (std::int64_t d = 0; d < D; ++d) acc += dout(n, d) * ys(s, d);
      dgates(n, k) = acc;
    });
}

void dispatch_rows_backward(FMat dxs, FMat x, Routing const& r, bool scale_by_gate, float beta, FMat dx, FMat dgates) {
  std::int64_t const N = dx.extent(0), D = dx.extent(1), K = r.slot_of.extent(1);
  if (N == 0) return;
  auto slot_of = r.slot_of;
  auto gates = r.gates;
  Kokkos::parallel_for("compute:moe_dispatch_backward", Range(0, N * D), KOKKOS_LAMBDA(std::int64_t i) {
    std::int64_t const n = i / D, d = i % D;
    float acc = 0;
    for (std::int64_t k = 0; k < K; ++k) acc += (scale_by_gate ? gates(n, k) : 1.0f) * dxs(slot_of(n, k), d);
    dx(n, d) = beta == 0.0f ? acc : beta * dx(n, d) + acc;
  });
  if (scale_by_gate)
    Kokkos::parallel_for("compute:moe_input_gate_grad", Range(0, N * K), KOKKOS_LAMBDA(std::int64_t i) {
      std::int64_t const n = i / K, k = i % K, s = slot_of(n, k);
      float acc = 0;
      for (std::int64_t d = 0; d < D; ++d) acc += dxs(s, d) * x(n, d);
      dgates(n, k) = acc;
    });
}

std::vector<double> tokens_per_expert(Routing const& r) {
  std::vector<double> c(r.offset.size() > 0 ? r.offset.size() - 1 : 0);
  for (std::size_t e = 0; e < c.size(); ++e) c[e] = static_cast<double>(r.offset[e + 1] - r.offset[e]);
  return c;
}

}  // namespace titan
