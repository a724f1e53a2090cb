#include "titan/compute/activation_kernels.hpp"
#include "titan/core/math_compat.hpp"

namespace titan {

namespace {
using Range = Kokkos::RangePolicy<ExecSpace>;

}  // namespace

void silu_mul(FMat h1, FMat h3, FMat a) {
  std::int64_t const cols = h1.extent(1), total = static_cast<std::int64_t>(h1.extent(0)) * cols;
  if (total == 0) return;
  Kokkos::parallel_for("compute:silu_mul", Range(0, total), KOKKOS_LAMBDA(std::int64_t i) {
    std::int64_t const n = i / cols, j = i % cols;
    float const z = h1(n, j);
    a(n, j) = z / (1.0f + math::exp(-z)) * h3(n, j);
  });
}

void silu_mul_backward(FMat h1, FMat h3, FMat da, FMat dh1, FMat dh3) {
  std::int64_t const cols = h1.extent(1), total = static_cast<std::int64_t>(h1.extent(0)) * cols;
  if (total == 0) return;
  Kokkos::parallel_for("compute:silu_mul_backward", Range(0, total), KOKKOS_LAMBDA(std::int64_t i) {
    std::int64_t const n = i / cols, j = i % cols;
    float const z = h1(n, j), u = h3(n, j), g = da(n, j);
    float const sig = 1.0f / (1.0f + math::exp(-z));
    dh1(n, j) = g * u * sig * (1.0f + z * (1.0f - sig));  // silu'(z) = sig (1 + z (1 - sig))
    dh3(n, j) = g * z * sig;
  });
}

void clamped_swiglu(FMat h, FMat a, float limit, float alpha) {
  std::int64_t const fm = a.extent(1), total = static_cast<std::int64_t>(a.extent(0)) * fm;
  if (total == 0) return;
  Kokkos::parallel_for("compute:clamped_swiglu", Range(0, total), KOKKOS_LAMBDA(std::int64_t i) {
    std::int64_t const r = i / fm, f = i % fm;
    float g = h(r, 2 * f), u = h(r, 2 * f + 1);
    g = g < limit ? g : limit;  // the gate is clamped from above only
    u = u < -limit ? -limit : (u > limit ? limit : u);
    float const glu = g / (1.0f + math::exp(-alpha * g));  // g sigmoid(alpha g)
    a(r, f) = glu + glu * u;                          // glu (u + 1), as torch's addcmul
  });
}

void clamped_swiglu_backward(FMat h, FMat da, FMat dh, float limit, float alpha) {
  std::int64_t const fm = da.extent(1), total = static_cast<std::int64_t>(da.extent(0)) * fm;
  if (total == 0) return;
  Kokkos::parallel_for("compute:clamped_swiglu_backward", Range(0, total), KOKKOS_LAMBDA(std::int64_t i) {
    std::int64_t const r = i / fm, f = i % fm;
    float const g_in = h(r, 2 * f), u_in = h(r, 2 * f + 1), d = da(r, f);
    float const g = g_in < limit ? g_in : limit;
    float const u = u_in < -limit ? -limit : (u_in > limit ? limit : u_in);
    float const sig = 1.0f / (1.0f + math::exp(-alpha * g));
    float const glu = g * sig;
    float const dglu_dg = sig + alpha * g * sig * (1.0f - sig);
    dh(r, 2 * f) = g_in <= limit ? d * (u + 1.0f) * dglu_dg : 0.0f;
    dh(r, 2 * f + 1) = u_in >= -limit && u_in <= limit ? d * glu : 0.0f;
  });
}

}  // namespace titan
