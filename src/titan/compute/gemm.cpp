#include "titan/compute/gemm.hpp"

#include <KokkosBlas3_gemm.hpp>

namespace titan {

namespace {
using Range = Kokkos::RangePolicy<ExecSpace>;
}

void gemm(bool transpose_a, bool transpose_b, float alpha, FMat a, FMat b, float beta, FMat c, FlopCounter& fc) {
  std::int64_t const m = c.extent(0), n = c.extent(1), k = transpose_a ? a.extent(0) : a.extent(1);
  if (m == 0 || n == 0) return;
  if (k == 0) {  // nothing to multiply: c = beta c
    Kokkos::parallel_for("compute:scale", Range(0, m * n), KOKKOS_LAMBDA(std::int64_t i) {
      c.data()[i] = beta == 0.0f ? 0.0f : beta * c.data()[i];
    });
    return;
  }
  KokkosBlas::gemm(transpose_a ? "T" : "N", transpose_b ? "T" : "N", alpha, a, b, beta, c);
  fc.flops += 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
}

void linear(FMat x, FMat w, FMat y, FlopCounter& fc) { gemm(false, true, 1.0f, x, w, 0.0f, y, fc); }

void linear_input_grad(FMat dy, FMat w, float beta, FMat dx, FlopCounter& fc) {
  gemm(false, false, 1.0f, dy, w, beta, dx, fc);
}

void linear_weight_grad(FMat dy, FMat x, FMat dw, FlopCounter& fc) { gemm(true, false, 1.0f, dy, x, 1.0f, dw, fc); }

void add_bias(FMat y, FVec b) {
  std::int64_t const cols = y.extent(1), total = static_cast<std::int64_t>(y.extent(0)) * cols;
  if (total == 0) return;
  Kokkos::parallel_for("compute:add_bias", Range(0, total), KOKKOS_LAMBDA(std::int64_t i) {
    y(i / cols, i % cols) += b(i % cols);
  });
}

void bias_grad(FMat dy, FVec db) {
  std::int64_t const rows = dy.extent(0), cols = dy.extent(1);
  if (rows == 0 || cols == 0) return;
  // One work item per column, rows in order: the same sum whatever the launch shape.
  Kokkos::parallel_for("compute:bias_grad", Range(0, cols), KOKKOS_LAMBDA(std::int64_t j) {
    float acc = 0;
    for (std::int64_t n = 0; n < rows; ++n) acc += dy(n, j);
    db(j) += acc;
  });
}

void add_into(FMat x, FMat y) {
  std::int64_t const cols = x.extent(1), total = static_cast<std::int64_t>(x.extent(0)) * cols;
  if (total == 0) return;
  Kokkos::parallel_for("compute:residual", Range(0, total), KOKKOS_LAMBDA(std::int64_t i) {
    x(i / cols, i % cols) += y(i / cols, i % cols);
  });
}

}  // namespace titan
