// The statistics of a set of stored values (design §5): count, sum, sum of
// squares, min, max and the layout-invariant fingerprint. Plain data: the
// init kernels accumulate it, the app reduces it over ranks.
#pragma once

#include <cstdint>
#include <string>

namespace titan {

//! Sums over a set of elements; combining two sets is element-wise (+, min, max),
//! so the totals do not depend on how the tensor is split.
struct ValueStats {
  std::uint64_t fingerprint = 0;  // wrapping sum of element_hash(global index, value bits)
  double count = 0.0;
  double sum = 0.0;
  double sum_sq = 0.0;
  double min = 0.0;  // +inf when count == 0
  double max = 0.0;  // -inf when count == 0
  // The rounding errors of adding partial sums into sum and sum_sq (the init
  // kernels' host path compensates them, Neumaier); fold() adds them in.
  double sum_c = 0.0;
  double sum_sq_c = 0.0;

  static ValueStats empty();
  void merge(ValueStats const& other);
  //! sum += sum_c, sum_sq += sum_sq_c, and the compensations cleared.
  void fold();
  double mean() const { return count > 0 ? sum / count : 0.0; }
  //! Population standard deviation.
  double std() const;
};

//! "" when `a` and `b` describe the same stored values, computed in two
//! summation orders: fingerprint, count, min and max equal, sum and sum of
//! squares within the rounding-error bound of recursive summation. Else what
//! differs ("fingerprint 0x... vs 0x...").
std::string stats_disagree(ValueStats const& a, ValueStats const& b);

}  // namespace titan
