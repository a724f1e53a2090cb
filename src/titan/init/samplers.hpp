// The per-element maps from 32 random bits to a value, shared by the kernels
// and the host reference path so both compute exactly the same thing.
#pragma once

#include "titan/core/bf16.hpp"
#include "titan/core/dtype.hpp"
#include "titan/init/counter_rng.hpp"
#include "titan/init/fast_normal.hpp"
#include "titan/init/init_spec.hpp"
#include "titan/init/inverse_normal.hpp"

#include <cmath>
#include <limits>

namespace titan {

//! Below this tail probability Giles' float erfinv loses accuracy (its tail
//! fit ends near w = 16); those rare elements (about 1.2e-7 of them) are
//! recomputed with the double-precision AS 241.
constexpr float deep_tail = 5.9604645e-08f;  // 2^-24

//! (r + 1/2) / 2^32 as a float, for r < 2^31 (a signed conversion, which
//! vectorizes everywhere): exact for r < 2^24, so small probabilities keep
//! their full resolution (down to 2^-33).
KOKKOS_INLINE_FUNCTION float half_unit_from_bits(std::uint32_t r) {
  return (static_cast<float>(static_cast<std::int32_t>(r)) + 0.5f) * 2.3283064e-10f;
}

//! Normal (lo = hic = 0, span = 1) or inverse-CDF truncated normal with
//! p = lo + span U, value = mean + std Phi^-1(p). The top bit of r says which
//! half U is in; the other 31 bits give the distance d of U from its nearer
//! end (U = d or 1 - d), so p near 0 and 1 - p near 0 are both formed without
//! cancellation. The quantile is taken of the smaller tail t = min(p, 1 - p).
struct NormalSampler {
  float mean, std, lo, span, hic;  // hic = 1 - Phi(b')

  //! The smaller tail probability t and whether p is above 1/2.
  KOKKOS_INLINE_FUNCTION void tail(std::uint32_t r, float& t, bool& upper) const {
    bool const top = (r >> 31) != 0;
    float const d = half_unit_from_bits(r ^ (0u - (r >> 31)));     // ~r in the top half; d in (0, 1/2)
    float const near = math::fma(span, d, select_bits(top, hic, lo));  // p (bottom half) or 1 - p (top half)
    bool const crossed = near > 0.5f;                                // only with asymmetric truncation
    t = select_bits(crossed, 1.0f - near, near);
    upper = top != crossed;
  }
  //! The fast path (vectorizable); exact enough for t >= deep_tail.
  KOKKOS_INLINE_FUNCTION float fast(std::uint32_t r, float& t) const {
    bool upper;
    tail(r, t, upper);
    float const z = normal_tail_quantile(t);
    return math::fma(std, select_bits(upper, -z, z), mean);
  }
  //! The value when the quantile's central branch applies, i.e. fast()
  //! exactly where `rare` comes back 0; rare = 1 (the value then meaningless)
  //! for the tail branch and the deep tail, about 0.34 % of words, which
  //! operator() must redo. Without the tail branch's square root and
  //! polynomial, the host kernel's loop over a chunk costs about a third less.
  KOKKOS_INLINE_FUNCTION float central(std::uint32_t r, std::int32_t& rare) const {
    float t;
    bool upper;
    tail(r, t, upper);
    float const w = erfinv_w(t);
    // (The deep tail has w > 15: the second test is a guard. `|` on ints,
    // not `||`, which is a branch that stops the loop vectorizing.)
    rare = static_cast<std::int32_t>(!(w < erfinv_central_w)) | static_cast<std::int32_t>(t < deep_tail);
    float const z = normal_quantile_from(erfinv_over_x_central(w), t);
    return math::fma(std, select_bits(upper, -z, z), mean);
  }
  //! central() in two halves, for a host loop over a chunk split in two
  //! loops: each half is a shorter chain of dependent operations, so more
  //! elements are in flight at once. Stage 1: t, w, the sign and `rare`.
  KOKKOS_INLINE_FUNCTION void central_stage1(std::uint32_t r, float& t, float& w, std::int32_t& upper,
                                             std::int32_t& rare) const {
    bool up;
    tail(r, t, up);
    w = erfinv_w(t);
    upper = up;
    rare = static_cast<std::int32_t>(!(w < erfinv_central_w)) | static_cast<std::int32_t>(t < deep_tail);
  }
  //! Stage 2: the value from stage 1's t, w and sign.
  KOKKOS_INLINE_FUNCTION float central_stage2(float t, float w, std::int32_t upper) const {
    float const z = normal_quantile_from(erfinv_over_x_central(w), t);
    return math::fma(std, select_bits(upper != 0, -z, z), mean);
  }
  //! The deep-tail path (double-precision AS 241), used when t < deep_tail.
  KOKKOS_INLINE_FUNCTION float slow(std::uint32_t r) const {
    float t;
    bool upper;
    tail(r, t, upper);
    float const z = static_cast<float>(inverse_normal_cdf(static_cast<double>(t)));
    return math::fma(std, upper ? -z : z, mean);
  }
  KOKKOS_INLINE_FUNCTION float operator()(std::uint32_t r) const {
    float t;
    float const v = fast(r, t);
    return t < deep_tail ? slow(r) : v;
  }
};

//! value = a + (b - a) U, U in (0, 1), with U = (r >> 8 + 1/2) / 2^24: 24
//! random bits, all a float can hold in [1/2, 1).
struct UniformSampler {
  float a, span;
  KOKKOS_INLINE_FUNCTION float fast(std::uint32_t r, float& t) const {
    t = 1.0f;  // never takes the deep-tail path
    return slow(r);
  }
  KOKKOS_INLINE_FUNCTION float central(std::uint32_t r, std::int32_t& rare) const {
    rare = 0;  // one formula for every word
    return slow(r);
  }
  KOKKOS_INLINE_FUNCTION void central_stage1(std::uint32_t r, float& t, float&, std::int32_t&,
                                             std::int32_t& rare) const {
    t = slow(r);
    rare = 0;
  }
  KOKKOS_INLINE_FUNCTION float central_stage2(float t, float, std::int32_t) const { return t; }
  KOKKOS_INLINE_FUNCTION float slow(std::uint32_t r) const {
    float const u = (static_cast<float>(static_cast<std::int32_t>(r >> 8)) + 0.5f) * 5.9604645e-08f;
    return math::fma(span, u, a);
  }
  KOKKOS_INLINE_FUNCTION float operator()(std::uint32_t r) const { return slow(r); }
};

//! Clamps to [lo, hi], bounds representable in the storage type, so no
//! stored value leaves [a, b]; then stores.
struct StoreF32 {
  float lo, hi;
  using value_type = float;
  KOKKOS_INLINE_FUNCTION float operator()(float x) const {
    x = select_bits(x < lo, lo, x);
    return select_bits(x > hi, hi, x);
  }
};

struct StoreBF16 {
  float lo, hi;  // bf16-representable
  using value_type = std::uint16_t;
  KOKKOS_INLINE_FUNCTION std::uint16_t operator()(float x) const {
    float v = bf16_to_float(float_to_bf16(x));
    v = select_bits(v < lo, lo, v);
    v = select_bits(v > hi, hi, v);
    return float_to_bf16(v);
  }
};

//! Standard normal CDF on the host.
inline double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

//! The interval [lo, hi] of storage-representable values inside [a, b]
//! (infinite bounds for kinds that have none).
void storage_bounds(InitSpec const& spec, DType dtype, float& lo, float& hi);
NormalSampler make_normal_sampler(InitSpec const& spec);
UniformSampler make_uniform_sampler(InitSpec const& spec);

}  // namespace titan
