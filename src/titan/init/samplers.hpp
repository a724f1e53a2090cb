// The per-element maps from 32 random bits to a value, shared by the kernels
// and the host reference path so both compute exactly the same thing.
#pragma once

#include "titan/core/bf16.hpp"
#include "titan/init/counter_rng.hpp"
#include "titan/init/init_spec.hpp"
#include "titan/init/inverse_normal.hpp"

#include <cmath>
#include <limits>

namespace titan {

//! value = mean + std * Phi^-1(lo + (hi - lo) * u), u in (0, 1). With
//! lo = 0, hi = 1 this is a normal; with lo = Phi(a'), hi = Phi(b') a normal
//! truncated by inverse CDF (torch's method), clamped to [a, b] afterwards.
struct NormalSampler {
  double mean, std, lo, span;
  KOKKOS_INLINE_FUNCTION double operator()(std::uint32_t r) const {
    return mean + std * inverse_normal_cdf(lo + span * open_unit(r));
  }
};

//! value = a + (b - a) * u, u in (0, 1).
struct UniformSampler {
  double a, span;
  KOKKOS_INLINE_FUNCTION double operator()(std::uint32_t r) const { return a + span * open_unit(r); }
};

//! Rounds to the storage type and clamps to [lo, hi], bounds that are
//! representable in the storage type, so no stored value leaves [a, b].
struct StoreF32 {
  float lo, hi;
  KOKKOS_INLINE_FUNCTION float operator()(double x) const {
    float v = static_cast<float>(x);
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
  }
};

struct StoreBF16 {
  float lo, hi;  // bf16-representable
  KOKKOS_INLINE_FUNCTION std::uint16_t operator()(double x) const {
    float v = bf16_to_float(float_to_bf16(static_cast<float>(x)));
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
    return float_to_bf16(v);
  }
};

//! Standard normal CDF on the host.
inline double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

//! The interval [lo, hi] of storage-representable values inside [a, b]
//! (infinite bounds for kinds that have none).
void storage_bounds(InitSpec const& spec, DType dtype, float& lo, float& hi);
NormalSampler make_normal_sampler(InitSpec const& spec);

}  // namespace titan
