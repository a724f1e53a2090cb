// cos and sin of a float angle, rounded to float, fast and vectorizable,
// giving the same bits as float(std::cos(double(angle))) (the RoPE table's
// definition, rope.hpp) or saying that it cannot vouch for them.
//
// The angle is reduced by pi/2 in three parts (Cody and Waite): with
// P1 (26 bits) and P2 (25 bits), k P1 and k P2 are exact for k < 2^27 and so
// are the two subtractions (their results are multiples of 2^-25 and 2^-51
// below 8 and 1 in magnitude), so the only reduction errors are k P3's
// rounding and pi/2's remainder past P3 (under 2^-77 together) and the last
// subtraction's rounding. Taylor polynomials on |r| <= pi/4 (+ tiny), to
// r^19 and r^20 (truncation below 2^-60), evaluated in double, then err by
// less than 2^-50 relative with the reduction included. A double result y
// whose whole interval y +- e (e = |y| 2^-48 + 2^-70, covering these errors
// and libm's own, under 1 ulp) rounds to one float is the float libm's value
// rounds to; otherwise (about 2^-23 of the values) the element is flagged
// and the caller computes it with libm, as the reference does.
#pragma once

#include <Kokkos_Macros.hpp>

#include <cstdint>
#include <cstring>

namespace titan {

//! Angles from this on (k near 2^27 quadrants, where k P1 stops being exact)
//! are always flagged. Tests pass a lower limit to exercise the fallback.
constexpr double rope_fast_angle_limit = 2.0e8;

KOKKOS_INLINE_FUNCTION std::uint64_t double_bits(double x) {
  std::uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}
KOKKOS_INLINE_FUNCTION double bits_double(std::uint64_t u) {
  double x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}
//! c ? a : b by bit masks: no branch, so the loop around it vectorizes.
KOKKOS_INLINE_FUNCTION double select_double(bool c, double a, double b) {
  std::uint64_t const mask = 0ull - static_cast<std::uint64_t>(c);
  return bits_double((double_bits(a) & mask) | (double_bits(b) & ~mask));
}

//! true when every double in [y - e, y + e] rounds to the same float.
KOKKOS_INLINE_FUNCTION bool rounds_uniquely(double y, double e) {
  return static_cast<float>(y - e) == static_cast<float>(y + e);
}

//! cos and sin of `angle` as floats; `ok` bit 0 / bit 1 set when the cos /
//! the sin is vouched for (else: recompute with libm). Written without
//! branches or structs (bit-mask selects, & instead of &&, scalar outputs)
//! so that the host loop over a chunk of angles vectorizes.
KOKKOS_INLINE_FUNCTION void rope_sincos(float angle, double limit, float& cos_v, float& sin_v, int& ok) {
  double const x = angle;
  // k = nearest integer to x 2/pi, by the 1.5 * 2^52 rounding trick (exact for |t| < 2^51).
  double const t = x * 0x1.45f306dc9c883p-1;
  double const k = (t + 0x1.8p52) - 0x1.8p52;
  double const r = ((x - k * 0x1.921fb58000000p+0) - k * -0x1.dde9740000000p-27) - k * 0x1.1a62633145c07p-54;
  double const z = r * r;
  // sin r = r (1 - z/3! + z^2/5! - ... - z^9/19!), cos r = 1 - z/2! + ... + z^10/20!.
  double const ps =
      -1.0 / 6 +
      z * (1.0 / 120 +
           z * (-1.0 / 5040 +
                z * (1.0 / 362880 +
                     z * (-1.0 / 39916800 +
                          z * (1.0 / 6227020800.0 +
                               z * (-1.0 / 1307674368000.0 + z * (1.0 / 355687428096000.0 + z * (-1.0 / 121645100408832000.0))))))));
  double const pc =
      -0.5 +
      z * (1.0 / 24 +
           z * (-1.0 / 720 +
                z * (1.0 / 40320 +
                     z * (-1.0 / 3628800 +
                          z * (1.0 / 479001600 +
                               z * (-1.0 / 87178291200.0 +
                                    z * (1.0 / 20922789888000.0 +
                                         z * (-1.0 / 6402373705728000.0 + z * (1.0 / 2432902008176640000.0)))))))));
  double const s = r + r * (z * ps);
  double const c = 1.0 + z * pc;
  // Quadrant q = k mod 4 (the low bits of t + 1.5 * 2^52): (cos, sin) = (c, s), (-s, c), (-c, -s), (s, -c).
  std::uint64_t const q = double_bits(t + 0x1.8p52) & 3u;
  bool const swap = (q & 1u) != 0;
  std::uint64_t const cos_sign = static_cast<std::uint64_t>((q == 1u) | (q == 2u)) << 63;
  std::uint64_t const sin_sign = static_cast<std::uint64_t>(q >= 2u) << 63;
  double const cv = bits_double(double_bits(select_double(swap, s, c)) ^ cos_sign);
  double const sv = bits_double(double_bits(select_double(swap, c, s)) ^ sin_sign);
  double const floor = select_double(x == 0, 0.0, 0x1p-70);  // angle 0: r = 0, cos 1 and sin 0 exactly
  double const ec = bits_double(double_bits(cv) & 0x7FFFFFFFFFFFFFFFull) * 0x1p-48 + floor;
  double const es = bits_double(double_bits(sv) & 0x7FFFFFFFFFFFFFFFull) * 0x1p-48 + floor;
  int const in_range = static_cast<int>((x < limit) & (x > -limit));
  cos_v = static_cast<float>(cv);
  sin_v = static_cast<float>(sv);
  ok = in_range * (static_cast<int>(rounds_uniquely(cv, ec)) | (static_cast<int>(rounds_uniquely(sv, es)) << 1));
}

}  // namespace titan
