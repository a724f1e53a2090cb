// float <-> bfloat16 bit conversions (round to nearest, ties to even).
#pragma once

#include <Kokkos_Macros.hpp>

#include <cstdint>
#include <cstring>

namespace titan {

KOKKOS_INLINE_FUNCTION std::uint32_t float_bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

KOKKOS_INLINE_FUNCTION float bits_float(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

//! Rounds a finite float to the nearest bfloat16, ties to even. No branches:
//! adding 0x7FFF plus the lowest kept bit carries into the kept bits exactly
//! when the dropped half is above (or at, for an odd kept value) one half ulp.
KOKKOS_INLINE_FUNCTION std::uint16_t float_to_bf16(float f) {
  std::uint32_t const u = float_bits(f);
  return static_cast<std::uint16_t>((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

//! c ? a : b by bit masks: no branch, so loops around it vectorize.
KOKKOS_INLINE_FUNCTION float select_bits(bool c, float a, float b) {
  std::uint32_t const mask = 0u - static_cast<std::uint32_t>(c);
  return bits_float((float_bits(a) & mask) | (float_bits(b) & ~mask));
}

KOKKOS_INLINE_FUNCTION float bf16_to_float(std::uint16_t h) {
  return bits_float(static_cast<std::uint32_t>(h) << 16);
}

}  // namespace titan
