#include "titan/forward/bias.hpp"

namespace titan {

void add_bias(FMat y, FVec b) {
  std::int64_t const cols = y.extent(1), total = static_cast<std::int64_t>(y.extent(0)) * cols;
  if (total == 0) return;
  Kokkos::parallel_for("forward:add_bias", Kokkos::RangePolicy<ExecSpace>(0, total), KOKKOS_LAMBDA(std::int64_t i) {
    y(i / cols, i % cols) += b(i % cols);
  });
}

}  // namespace titan
