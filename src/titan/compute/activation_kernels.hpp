// The gated activations of the feed-forward layers and their gradients.
#pragma once

#include "titan/compute/compute_types.hpp"

namespace titan {

//! a = silu(h1) * h3 (element-wise; a may alias h1 when no gradient is needed).
void silu_mul(FMat h1, FMat h3, FMat a);
//! dh1 = da h3 silu'(h1), dh3 = da silu(h1) (dh1 may alias h1, dh3 h3 — each
//! element is read before it is written).
void silu_mul_backward(FMat h1, FMat h3, FMat da, FMat dh1, FMat dh3);

//! gpt-oss's clamped SwiGLU: a[r, f] from the pair (h[r, 2f], h[r, 2f+1]) =
//! (gate, up): gate = min(gate, limit), up = clamp(up, -limit, limit),
//! a = gate sigmoid(alpha gate) (up + 1).
void clamped_swiglu(FMat h, FMat a, float limit, float alpha);
//! dh [rows, 2 Fm] (overwritten) from da [rows, Fm]; a clamped input gets no
//! gradient (torch's clamp passes it where min <= x <= max).
void clamped_swiglu_backward(FMat h, FMat da, FMat dh, float limit, float alpha);

}  // namespace titan
