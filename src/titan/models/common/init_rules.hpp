// Initializer rules shared by several families (model_families.md §2).
#pragma once

#include <cmath>
#include <cstdint>

namespace titan {

//! depth_scaled_std(base, i) = base / sqrt(2 (i + 1)), i the 0-based layer index.
inline double depth_scaled_std(double base, std::int64_t layer) {
  return base / std::sqrt(2.0 * static_cast<double>(layer + 1));
}

}  // namespace titan
