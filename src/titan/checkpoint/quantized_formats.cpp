#include "titan/checkpoint/quantized_formats.hpp"

#include <cmath>
#include <limits>

namespace titan {

float f16_to_float(std::uint16_t h) {
  int const sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
  float v;
  if (exp == 0) v = std::ldexp(static_cast<float>(man), -24);  // subnormal (or zero)
  else if (exp == 31) v = man ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  else v = std::ldexp(static_cast<float>(man + 1024), exp - 25);
  return sign ? -v : v;
}

float fp8_e4m3_to_float(std::uint8_t b) {
  int const sign = (b >> 7) & 1, exp = (b >> 3) & 0xf, man = b & 0x7;
  float v;
  if (exp == 15 && man == 7) return std::numeric_limits<float>::quiet_NaN();
  if (exp == 0) v = std::ldexp(static_cast<float>(man), -9);  // subnormal: man/8 * 2^-6
  else v = std::ldexp(static_cast<float>(man + 8), exp - 10);  // (1 + man/8) * 2^(exp-7)
  return sign ? -v : v;
}

float fp4_e2m1_to_float(std::uint8_t nibble) {
  int const sign = (nibble >> 3) & 1, exp = (nibble >> 1) & 0x3, man = nibble & 0x1;
  float const v = exp == 0 ? 0.5f * static_cast<float>(man) : std::ldexp(1.0f + 0.5f * static_cast<float>(man), exp - 1);
  return sign ? -v : v;
}

float e8m0_to_float(std::uint8_t b) {
  if (b == 0xff) return std::numeric_limits<float>::quiet_NaN();
  return std::ldexp(1.0f, static_cast<int>(b) - 127);
}

}  // namespace titan
