// Accumulating ValueStats inside a kernel: one element at a time (the
// generic/device path and the re-reading stats pass) or a whole host chunk
// at a time in independent lanes (the fused init kernels' host path, where a
// single running double sum would be a serial chain of dependent additions
// that costs more than the whole fill). Plus the init/join a Kokkos
// reduction of ValueStats needs; a functor forwards to them (Kokkos 3.4
// reduces a struct only through its functor's init/join members).
#pragma once

#include "titan/core/bf16.hpp"
#include "titan/init/fingerprint.hpp"
#include "titan/init/value_stats.hpp"

#include <Kokkos_Macros.hpp>

#include <cstdint>
#include <cstring>

namespace titan {

KOKKOS_INLINE_FUNCTION float stored_float(float v) { return v; }
KOKKOS_INLINE_FUNCTION float stored_float(std::uint16_t v) { return bf16_to_float(v); }
KOKKOS_INLINE_FUNCTION std::uint32_t stored_bits(float v) { return float_bits(v); }
KOKKOS_INLINE_FUNCTION std::uint32_t stored_bits(std::uint16_t v) { return v; }

//! The identity of the reduction: nothing counted, min +inf, max -inf.
KOKKOS_INLINE_FUNCTION void stats_init(ValueStats& v) {
  v.fingerprint = 0;
  v.count = v.sum = v.sum_sq = 0.0;
  v.min = 1.0 / 0.0;
  v.max = -1.0 / 0.0;
  v.sum_c = v.sum_sq_c = 0.0;
}

//! dst += src (D and S may be volatile-qualified for Kokkos 3.4).
template <class D, class S>
KOKKOS_INLINE_FUNCTION void stats_join(D& dst, S& src) {
  dst.fingerprint += src.fingerprint;
  dst.count += src.count;
  dst.sum += src.sum;
  dst.sum_sq += src.sum_sq;
  dst.min = src.min < dst.min ? src.min : dst.min;
  dst.max = src.max > dst.max ? src.max : dst.max;
  dst.sum_c += src.sum_c;
  dst.sum_sq_c += src.sum_sq_c;
}

//! s += x, its rounding error added to c (Neumaier's compensated sum; exact
//! error by Fast2Sum on the larger and smaller magnitude).
KOKKOS_INLINE_FUNCTION void compensated_add(double& s, double& c, double x) {
  double const t = s + x;
  bool const s_larger = (s < 0 ? -s : s) >= (x < 0 ? -x : x);
  c += s_larger ? (s - t) + x : (x - t) + s;
  s = t;
}

// The init/join members of a functor that reduces ValueStats (a macro, not
// a base class: Kokkos finds these members by their exact signatures).
#if KOKKOS_VERSION < 40000
#define TITAN_VALUE_STATS_VOLATILE_JOIN                                                              \
  KOKKOS_INLINE_FUNCTION void join(volatile ValueStats& dst, volatile ValueStats const& src) const { \
    stats_join(dst, src);                                                                            \
  }
#else
#define TITAN_VALUE_STATS_VOLATILE_JOIN
#endif
#define TITAN_VALUE_STATS_REDUCTION                                                                   \
  KOKKOS_INLINE_FUNCTION void init(ValueStats& v) const { stats_init(v); }                           \
  KOKKOS_INLINE_FUNCTION void join(ValueStats& dst, ValueStats const& src) const { stats_join(dst, src); } \
  TITAN_VALUE_STATS_VOLATILE_JOIN

//! One stored element `raw` at global index g.
template <class T>
KOKKOS_INLINE_FUNCTION void stats_add(ValueStats& acc, std::uint64_t g, T raw) {
  double const v = stored_float(raw);
  acc.fingerprint += element_hash(g, stored_bits(raw));
  acc.count += 1.0;
  acc.sum += v;
  acc.sum_sq += v * v;
  acc.min = v < acc.min ? v : acc.min;
  acc.max = v > acc.max ? v : acc.max;
}

//! Lanes of the chunked accumulation: 16, so that the stored values' bits,
//! their floats and min/max fill one AVX-512 register (the doubles and the
//! 64-bit hashes two); 8 lanes left the 32-bit half of the work in half-empty
//! registers (about 3 % slower fill, issue 20). Enough independent chains to
//! hide the adds' latency either way.
constexpr int stats_lanes = 16;

#if defined(__GNUC__) && !defined(__CUDACC__) && !defined(__HIPCC__)
// The host compiler's vector types (GCC and Clang): the chunk statistics
// below must run at a fraction of the fill's cost, and GCC does not
// vectorize the equivalent scalar loops (double sums it may not reorder,
// mixed 32/64-bit lanes), so they are written on vectors of stats_lanes.
#define TITAN_STATS_VECTOR_TYPES 1
typedef double stats_vd __attribute__((vector_size(8 * stats_lanes)));
typedef float stats_vf __attribute__((vector_size(4 * stats_lanes)));
typedef std::uint64_t stats_vu64 __attribute__((vector_size(8 * stats_lanes)));
typedef std::uint32_t stats_vu32 __attribute__((vector_size(4 * stats_lanes)));
typedef std::uint16_t stats_vu16 __attribute__((vector_size(2 * stats_lanes)));

inline stats_vu32 stats_lane_bits(float const* v) {
  stats_vu32 b;
  std::memcpy(&b, v, sizeof b);
  return b;
}
inline stats_vu32 stats_lane_bits(std::uint16_t const* v) {
  stats_vu16 h;
  std::memcpy(&h, v, sizeof h);
  return __builtin_convertvector(h, stats_vu32);
}
inline stats_vf stats_lane_floats(float const*, stats_vu32 bits) {
  stats_vf f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}
inline stats_vf stats_lane_floats(std::uint16_t const*, stats_vu32 bits) {
  stats_vu32 const shifted = bits << 16;
  stats_vf f;
  std::memcpy(&f, &shifted, sizeof f);
  return f;
}
#endif

//! The N stored elements v[0..N) at global indices g0, g0 + 1, ...: sums in
//! stats_lanes independent double lanes (added into acc at the end), min and
//! max in float (exact), the hash as a wrapping sum (exact, order-free).
//! The sums differ from an element-by-element accumulation only in rounding
//! order (tests/unit/test_fused_stats.cpp bounds the difference).
template <int N, class T>
KOKKOS_INLINE_FUNCTION void stats_add_chunk(ValueStats& acc, std::uint64_t g0, T const* v) {
  static_assert(N % stats_lanes == 0, "whole lanes");
  double s[stats_lanes], q[stats_lanes];
  float lo[stats_lanes], hi[stats_lanes];
  std::uint64_t h[stats_lanes];
#ifdef TITAN_STATS_VECTOR_TYPES
  stats_vd vs = {}, vq = {};
  stats_vf vlo, vhi;
  stats_vu64 vh = {}, gk;  // gk = g K + C for the lanes' global indices g (wrapping), stepped by adding
  std::uint64_t const K = 0x9E3779B97F4A7C15ull;
  for (int l = 0; l < stats_lanes; ++l) {
    vlo[l] = 1.0f / 0.0f;
    vhi[l] = -1.0f / 0.0f;
    gk[l] = (g0 + static_cast<std::uint64_t>(l)) * K + 0x632BE59BD9B4E019ull;
  }
  for (int i = 0; i < N; i += stats_lanes) {
    stats_vu32 const bits = stats_lane_bits(v + i);
    stats_vf const x = stats_lane_floats(v, bits);
    stats_vd const d = __builtin_convertvector(x, stats_vd);
    vs += d;
    vq += d * d;
    vlo = x < vlo ? x : vlo;
    vhi = x > vhi ? x : vhi;
    // element_hash(g, bits) = mix64(g K + bits + C), lane by lane (the same
    // wrapping arithmetic as element_hash; tests compare the two).
    stats_vu64 z = gk + __builtin_convertvector(bits, stats_vu64);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    vh += z ^ (z >> 31);
    gk += static_cast<std::uint64_t>(stats_lanes) * K;
  }
  for (int l = 0; l < stats_lanes; ++l) {
    s[l] = vs[l];
    q[l] = vq[l];
    lo[l] = vlo[l];
    hi[l] = vhi[l];
    h[l] = vh[l];
  }
#else
  for (int l = 0; l < stats_lanes; ++l) {
    s[l] = q[l] = 0.0;
    lo[l] = 1.0f / 0.0f;
    hi[l] = -1.0f / 0.0f;
    h[l] = 0;
  }
  for (int i = 0; i < N; i += stats_lanes)
    for (int l = 0; l < stats_lanes; ++l) {
      float const x = stored_float(v[i + l]);
      double const d = x;
      s[l] += d;
      q[l] += d * d;
      lo[l] = x < lo[l] ? x : lo[l];
      hi[l] = x > hi[l] ? x : hi[l];
      h[l] += element_hash(g0 + static_cast<std::uint64_t>(i + l), stored_bits(v[i + l]));
    }
#endif
  double ss = 0.0, qq = 0.0;
  float mn = lo[0], mx = hi[0];
  std::uint64_t hh = 0;
  for (int l = 0; l < stats_lanes; ++l) {
    ss += s[l];
    qq += q[l];
    mn = lo[l] < mn ? lo[l] : mn;
    mx = hi[l] > mx ? hi[l] : mx;
    hh += h[l];
  }
  acc.fingerprint += hh;
  acc.count += static_cast<double>(N);
  // Millions of chunk sums go into one running sum on the host: compensated,
  // so the total is as accurate as an exact sum rounded once (measured on the
  // 8B's 2.6e8-element shards: 1e-12 relative without, the re-reading pass's
  // sequential sum 4e-11).
  compensated_add(acc.sum, acc.sum_c, ss);
  compensated_add(acc.sum_sq, acc.sum_sq_c, qq);
  acc.min = mn < acc.min ? mn : acc.min;
  acc.max = mx > acc.max ? mx : acc.max;
}

}  // namespace titan
