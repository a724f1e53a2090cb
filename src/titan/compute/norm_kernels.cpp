#include "titan/compute/norm_kernels.hpp"

#include "titan/core/math_compat.hpp"

namespace titan {

namespace {
using Team = Kokkos::TeamPolicy<ExecSpace>;
using Member = Team::member_type;
using Range = Kokkos::RangePolicy<ExecSpace>;
}  // namespace

void rms_norm(FMat x, FVec w, double eps, FMat y) {
  std::int64_t const d = w.extent(0), groups = d > 0 ? static_cast<std::int64_t>(x.extent(1)) / d : 0;
  std::int64_t const rows = static_cast<std::int64_t>(x.extent(0)) * groups;
  if (rows == 0) return;
  float const e = static_cast<float>(eps);
  Kokkos::parallel_for("compute:rms_norm", Team(rows, Kokkos::AUTO), KOKKOS_LAMBDA(Member const& t) {
    std::int64_t const n = t.league_rank() / groups, c0 = (t.league_rank() % groups) * d;
    float ss = 0;
    Kokkos::parallel_reduce(Kokkos::TeamThreadRange(t, d), [&](std::int64_t j, float& acc) { acc += x(n, c0 + j) * x(n, c0 + j); }, ss);
    float const r = 1.0f / math::sqrt(ss / static_cast<float>(d) + e);
    Kokkos::parallel_for(Kokkos::TeamThreadRange(t, d), [&](std::int64_t j) { y(n, c0 + j) = (x(n, c0 + j) * r) * w(j); });
  });
}

void rms_norm_backward(FMat x, FVec w, double eps, FMat dy, float beta, FMat dx, FVec dw) {
  std::int64_t const d = w.extent(0), groups = d > 0 ? static_cast<std::int64_t>(x.extent(1)) / d : 0;
  std::int64_t const N = x.extent(0), rows = N * groups;
  if (rows == 0) return;
  float const e = static_cast<float>(eps), inv_d = 1.0f / static_cast<float>(d);
  Kokkos::View<float*, Layout, MemSpace> rstd(Kokkos::view_alloc(Kokkos::WithoutInitializing, "compute:rms_rstd"), rows);
  // dx_j = r (w_j dy_j) - (r^3 / d) x_j sum_k(w_k dy_k x_k), r = (mean(x^2) + eps)^-1/2.
  Kokkos::parallel_for("compute:rms_norm_backward", Team(rows, Kokkos::AUTO), KOKKOS_LAMBDA(Member const& t) {
    std::int64_t const n = t.league_rank() / groups, c0 = (t.league_rank() % groups) * d;
    float ss = 0, dot = 0;
    Kokkos::parallel_reduce(Kokkos::TeamThreadRange(t, d), [&](std::int64_t j, float& acc) { acc += x(n, c0 + j) * x(n, c0 + j); }, ss);
    Kokkos::parallel_reduce(Kokkos::TeamThreadRange(t, d), [&](std::int64_t j, float& acc) {
      acc += w(j) * dy(n, c0 + j) * x(n, c0 + j);
    }, dot);
    float const r = 1.0f / math::sqrt(ss * inv_d + e), c = r * r * r * inv_d * dot;
    Kokkos::parallel_for(Kokkos::TeamThreadRange(t, d), [&](std::int64_t j) {
      float const g = r * w(j) * dy(n, c0 + j) - c * x(n, c0 + j);
      dx(n, c0 + j) = beta == 0.0f ? g : beta * dx(n, c0 + j) + g;
    });
    Kokkos::single(Kokkos::PerTeam(t), [&]() { rstd(t.league_rank()) = r; });
  });
  // dw_j: one work item per feature, rows and groups in order.
  Kokkos::parallel_for("compute:rms_norm_weight_grad", Range(0, d), KOKKOS_LAMBDA(std::int64_t j) {
    float acc = 0;
    for (std::int64_t row = 0; row < rows; ++row) {
      std::int64_t const n = row / groups, c = (row % groups) * d + j;
      acc += dy(n, c) * x(n, c) * rstd(row);
    }
    dw(j) += acc;
  });
}

}  // namespace titan
