// Overflow-checked unsigned arithmetic for sizes read from files: a shape or
// an offset that does not fit 64 bits is bad input, never a wrapped number.
// Host-only, header-only.
#pragma once

#include <cstdint>
#include <vector>

namespace titan {

//! a * b into out; false on overflow (out unspecified).
inline bool checked_mul(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
  return !__builtin_mul_overflow(a, b, &out);
}
//! a + b into out; false on overflow.
inline bool checked_add(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
  return !__builtin_add_overflow(a, b, &out);
}
//! The product of the extents (1 for a scalar); false on overflow or a negative extent.
inline bool checked_numel(std::vector<std::int64_t> const& shape, std::uint64_t& out) {
  std::uint64_t n = 1;
  for (std::int64_t e : shape) {
    if (e < 0 || !checked_mul(n, static_cast<std::uint64_t>(e), n)) return false;
  }
  out = n;
  return true;
}

}  // namespace titan
