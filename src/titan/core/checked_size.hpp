// Sizes computed by us, in checked 64-bit arithmetic (issue 12): every View
// allocation's element and byte count is known to be exact before Kokkos
// sees it, and a size that overflows is refused with a message instead of
// wrapping into a small (or empty) allocation.
#pragma once

#include "titan/core/errors.hpp"

#include <cstdint>
#include <initializer_list>
#include <string>

namespace titan {

//! a * b, or false when the product does not fit in int64 (or a factor is negative).
inline bool checked_mul(std::int64_t a, std::int64_t b, std::int64_t& out) {
  return a >= 0 && b >= 0 && !__builtin_mul_overflow(a, b, &out);
}

//! The product of `factors`; throws InputError "<what> overflows 64 bits
//! (a x b x ...)" when it does not fit.
inline std::int64_t checked_product(std::initializer_list<std::int64_t> factors, std::string const& what) {
  std::int64_t p = 1;
  std::string text;
  bool ok = true;
  for (std::int64_t f : factors) {
    text += (text.empty() ? "" : " x ") + std::to_string(f);
    ok = ok && checked_mul(p, f, p);
  }
  require(ok, what + " overflows 64-bit arithmetic (" + text + ")");
  return p;
}

}  // namespace titan
