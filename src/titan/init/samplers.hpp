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
  //! The host kernel's values of a chunk of N words: out[i] = (*this)(r[i])
  //! wherever rare[i] comes back 0; rare[i] = 1 (out[i] then meaningless)
  //! for the quantile's tail branch and the deep tail, about 0.34 % of the
  //! words, which the caller redoes with operator(). Only the central branch
  //! is computed (no square root, one polynomial), and in three loops, each a
  //! shorter chain of dependent operations than the whole quantile, so the
  //! core keeps more elements in flight (about a third faster than one
  //! loop over fast(), issue 20). The operations are fast()'s, on the same
  //! inputs: the same bits.
  template <int N>
  KOKKOS_INLINE_FUNCTION void chunk_values(std::uint32_t const* r, float* out, std::int32_t* rare) const {
    float t[N], m[N], e[N];
    std::int32_t upper[N];
    for (int i = 0; i < N; ++i) {  // 1: the tail probability, log's argument split
      bool up;
      tail(r[i], t[i], up);
      upper[i] = up;
      e[i] = fast_log_split(4.0f * t[i] * (1.0f - t[i]), m[i]);
    }
    for (int i = 0; i < N; ++i) {  // 2: w = -log(4 t (1 - t)), which branch (w in e[])
      float const w = -fast_log_from(e[i], m[i]);
      // (The deep tail has w > 15: the second test is a guard. `|` on ints,
      // not `||`, which is a branch that stops the loop vectorizing.)
      rare[i] = static_cast<std::int32_t>(!(w < erfinv_central_w)) | static_cast<std::int32_t>(t[i] < deep_tail);
      e[i] = w;
    }
    for (int i = 0; i < N; ++i) {  // 3: the central polynomial, the value
      float const z = normal_quantile_from(erfinv_over_x_central(e[i]), t[i]);
      out[i] = math::fma(std, select_bits(upper[i] != 0, -z, z), mean);
    }
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
  //! The host kernel's values of a chunk (one formula: none rare).
  template <int N>
  KOKKOS_INLINE_FUNCTION void chunk_values(std::uint32_t const* r, float* out, std::int32_t* rare) const {
    for (int i = 0; i < N; ++i) {
      out[i] = slow(r[i]);
      rare[i] = 0;
    }
  }
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
