// Scaled dot-product attention of every decoder family on head-major
// buffers, forward and backward, computed per (sequence, query head) with
// gemms and a masked softmax kernel:
//   S = scale q k^T, P = softmax over the visible keys (+ a sink), O = P v.
// Visibility: key s <= query t (causal); with chunk > 0 both in the same
// chunk of `chunk` positions (Llama4's RoPE layers: only the chunk's square
// is computed); with window > 0 also t - s < window (gpt-oss's even layers).
// A sink (gpt-oss) adds exp(sink_h) to the denominator and has no value.
// GQA: query head h reads key/value head h / (Hq / Hkv). v may be narrower
// or wider than q/k (MLA).
#pragma once

#include "titan/compute/compute_types.hpp"

namespace titan {

struct AttentionMask {
  std::int64_t chunk = 0;   // > 0: causal within chunks of this many positions
  std::int64_t window = 0;  // > 0: causal within this many positions
};

//! q [B, Hq, T, hd], k [B, Hkv, T, hd], v [B, Hkv, T, hv] -> out [B, Hq, T, hv];
//! sinks [Hq] or empty.
void attention_forward(F4 q, F4 k, F4 v, float scale, AttentionMask mask, FVec sinks, F4 out, FlopCounter& fc);

//! What attention_forward and attention_backward count into the
//! FlopCounter for n_seq sequences of T positions, hq query heads, q.k
//! head dim hd and v head dim hv: per head and block of n positions, the
//! forward's two products (2 n^2 hd, 2 n^2 hv), the backward's five (P
//! recomputed, dP, dV, dQ, dK). Every block is computed whole (masked
//! entries included).
void attention_core_flops(std::int64_t n_seq, std::int64_t hq, std::int64_t T, std::int64_t hd, std::int64_t hv,
                          AttentionMask mask, double& forward, double& backward);

//! The gradients of attention_forward given dout [B, Hq, T, hv]: dq is
//! overwritten; dk, dv and dsinks (when sinks is not empty) are accumulated
//! (the caller zeroes them). P is recomputed from q and k, not stored.
void attention_backward(F4 q, F4 k, F4 v, float scale, AttentionMask mask, FVec sinks, F4 dout, F4 dq, F4 dk, F4 dv,
                        FVec dsinks, FlopCounter& fc);

}  // namespace titan
