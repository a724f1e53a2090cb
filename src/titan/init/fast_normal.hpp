// Standard normal quantiles in float32 with only +, *, fused multiply-add,
// /, sqrt and bit operations, so a loop over many values vectorizes and
// every IEEE 754 platform computes the same bits.
#pragma once

#include "titan/core/bf16.hpp"
#include "titan/core/math_compat.hpp"

#include <cstdint>

namespace titan {

//! Natural log of a positive, normal float: x = m * 2^e with m in
//! [sqrt(1/2), sqrt(2)), log m = 2 atanh(s), s = (m - 1)/(m + 1), |s| <= 0.1716,
//! by its odd series to s^9 (truncation error < 4e-10, below float rounding).
//! In two parts (the exponent and m, then the series) so that a host loop
//! can run them as two loops with shorter chains of dependent operations.
KOKKOS_INLINE_FUNCTION float fast_log_split(float x, float& m) {
  std::uint32_t const bits = float_bits(x);
  // Offsetting by sqrt(1/2)'s bit pattern before taking the exponent puts m
  // in [sqrt(1/2), sqrt(2)).
  int const e = static_cast<int>(bits - 0x3F3504F3u) >> 23;
  m = bits_float(bits - (static_cast<std::uint32_t>(e) << 23));
  return static_cast<float>(e);
}
//! log x from fast_log_split's exponent e and m.
KOKKOS_INLINE_FUNCTION float fast_log_from(float e, float m) {
  float const s = (m - 1.0f) / (m + 1.0f);
  float const s2 = s * s;
  float p = 0.222222222f;
  p = math::fma(p, s2, 0.285714286f);
  p = math::fma(p, s2, 0.4f);
  p = math::fma(p, s2, 0.666666667f);
  p = math::fma(p, s2, 2.0f);
  return math::fma(e, 0.693147181f, s * p);
}
KOKKOS_INLINE_FUNCTION float fast_log(float x) {
  float m;
  float const e = fast_log_split(x, m);
  return fast_log_from(e, m);
}

// Phi^-1(t) for a tail probability t in (0, 1/2] (the value is <= 0), by
// Giles' single-precision erfinv ("Approximating the erfinv function", GPU
// Computing Gems, 2011): Phi^-1(t) = -sqrt(2) erfinv(1 - 2t), with
// w = -log(4 t (1 - t)); erfinv(x) / x is one polynomial in w for w < 5 (the
// central branch, t above about 0.0017) and another in sqrt(w) beyond (the
// tail branch). Accurate to about 3e-7 relative for t >= 2^-24; below that
// the fit degrades (see deep_tail in samplers.hpp). Split into its parts so
// that the host kernel can run the central branch alone over a chunk and
// redo the few tail elements (about 0.34 %) with the whole function: the
// same operations on the same inputs, so the same bits.

//! w = -log(4 t (1 - t)).
KOKKOS_INLINE_FUNCTION float erfinv_w(float t) { return -fast_log(4.0f * t * (1.0f - t)); }

//! The central branch uses w below this.
constexpr float erfinv_central_w = 5.0f;

//! erfinv(x) / x on the central branch (w < erfinv_central_w).
KOKKOS_INLINE_FUNCTION float erfinv_over_x_central(float w) {
  float const a = w - 2.5f;
  float p = 2.81022636e-08f;
  p = math::fma(p, a, 3.43273939e-07f);
  p = math::fma(p, a, -3.5233877e-06f);
  p = math::fma(p, a, -4.39150654e-06f);
  p = math::fma(p, a, 0.00021858087f);
  p = math::fma(p, a, -0.00125372503f);
  p = math::fma(p, a, -0.00417768164f);
  p = math::fma(p, a, 0.246640727f);
  return math::fma(p, a, 1.50140941f);
}

//! erfinv(x) / x on the tail branch (w >= erfinv_central_w).
KOKKOS_INLINE_FUNCTION float erfinv_over_x_tail(float w) {
  float const b = math::sqrt(w) - 3.0f;
  float q = -0.000200214257f;
  q = math::fma(q, b, 0.000100950558f);
  q = math::fma(q, b, 0.00134934322f);
  q = math::fma(q, b, -0.00367342844f);
  q = math::fma(q, b, 0.00573950773f);
  q = math::fma(q, b, -0.0076224613f);
  q = math::fma(q, b, 0.00943887047f);
  q = math::fma(q, b, 1.00167406f);
  return math::fma(q, b, 2.83297682f);
}

//! Phi^-1(t) from erfinv(1 - 2t) / (1 - 2t).
KOKKOS_INLINE_FUNCTION float normal_quantile_from(float erfinv_over_x, float t) {
  return -1.41421356f * erfinv_over_x * (1.0f - 2.0f * t);
}

//! Phi^-1(t), t in (0, 1/2]: both branches computed and one selected, so a
//! loop over it has no branch.
KOKKOS_INLINE_FUNCTION float normal_tail_quantile(float t) {
  float const w = erfinv_w(t);
  float const erfinv_over_x = select_bits(w < erfinv_central_w, erfinv_over_x_central(w), erfinv_over_x_tail(w));
  return normal_quantile_from(erfinv_over_x, t);
}

}  // namespace titan
