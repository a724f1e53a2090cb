// Adding a Linear's bias to its output rows (torch's Linear with bias=True:
// y = x W^T + b), for the families whose projections carry one (gpt-oss).
#pragma once

#include "titan/forward/kernels.hpp"

namespace titan {

//! y[n, j] += b[j] for every row n of y [N, out]; b [out].
void add_bias(FMat y, FVec b);

}  // namespace titan
