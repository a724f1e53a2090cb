// Moving q/k/v between the row layout [B*T, H*w] of the projections and the
// head-major layout [B, H, T, w] of attention, rotating by the RoPE table on
// the way in (and by its inverse on the way back for gradients).
#pragma once

#include "titan/compute/compute_types.hpp"

namespace titan {

//! out [B, H, T, hd] from x [B*T, H*hd] (row n = sequence n/T, position n%T),
//! rotated by freqs when `apply` (else copied).
void rope_to_heads(FMat x, std::int64_t heads, std::int64_t hd, std::int64_t T, FreqsView freqs, RopeStyle style,
                   bool apply, F4 out);
//! The gradient of rope_to_heads: dx [B*T, H*hd] (overwritten) from d [B, H, T, hd]
//! (the transposed rotation: the angle's negative).
void rope_from_heads_grad(F4 d, std::int64_t T, FreqsView freqs, RopeStyle style, bool apply, FMat dx);
//! out [B*T, H*w] from heads [B, H, T, w] (a copy).
void heads_to_rows(F4 heads, FMat out);
//! out [B, H, T, w] from rows [B*T, H*w] (a copy).
void rows_to_heads(FMat rows, F4 out);

}  // namespace titan
