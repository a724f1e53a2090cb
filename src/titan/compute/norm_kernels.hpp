// RMSNorm over groups of `d` consecutive features (a row of the model width,
// or one head's features for q/k norms) and its gradients:
//   y = x / sqrt(mean(x^2) + eps) * w, per group; w [d] shared by the groups.
#pragma once

#include "titan/compute/compute_types.hpp"

namespace titan {

//! y [N, G*d] from x [N, G*d] (y may alias x); d = w.extent(0).
void rms_norm(FMat x, FVec w, double eps, FMat y);
//! dx = beta dx + d y / d x applied to dy (dx may not alias dy or x), and
//! dw[j] += sum over rows and groups of dy x r (rows in order: deterministic).
//! x is the norm's input as in the forward pass.
void rms_norm_backward(FMat x, FVec w, double eps, FMat dy, float beta, FMat dx, FVec dw);

}  // namespace titan
