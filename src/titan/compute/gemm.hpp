// Matrix products and the Linear layer's maths (y = x W^T + b) with their
// gradients. Every product is KokkosBlas::gemm on LayoutRight views (BLAS on
// the host, cuBLAS in a CUDA build) and counts 2 m n k FLOPs.
#pragma once

#include "titan/compute/compute_types.hpp"

namespace titan {

//! c [M, N] = alpha op(a) op(b) + beta c, op = transpose when the flag is set.
void gemm(bool transpose_a, bool transpose_b, float alpha, FMat a, FMat b, float beta, FMat c, FlopCounter& fc);

//! y [N, out] = x [N, in] . w [out, in]^T (torch's Linear without bias).
void linear(FMat x, FMat w, FMat y, FlopCounter& fc);
//! dx [N, in] = beta dx + dy [N, out] . w [out, in] (the input's gradient).
void linear_input_grad(FMat dy, FMat w, float beta, FMat dx, FlopCounter& fc);
//! dw [out, in] += dy^T . x (the weight's gradient, accumulated).
void linear_weight_grad(FMat dy, FMat x, FMat dw, FlopCounter& fc);

//! y[n, j] += b[j] for every row n of y [N, out]; b [out].
void add_bias(FMat y, FVec b);
//! db[j] += sum over rows n of dy[n, j] (the bias's gradient; rows summed in order).
void bias_grad(FMat dy, FVec db);

//! x += y (element-wise, same shape).
void add_into(FMat x, FMat y);

}  // namespace titan
