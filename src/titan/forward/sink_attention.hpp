// gpt-oss's attention core (torchtitan models/gpt_oss/model.py): causal GQA
// attention whose softmax denominator also holds a learnable per-head logit
// (the "sink", no value attached), optionally restricted to a causal
// sliding window. torchtitan rescales the plain softmax output by
// sigmoid(lse - sink) = exp(lse) / (exp(lse) + exp(sink)), which is the same
// as adding exp(sink) to the sum of the exponentials (the sink is not scaled).
#pragma once

#include "titan/forward/kernels.hpp"

namespace titan {

//! q [Bl, Hq, T, hd], k/v [Bl, Hkv, T, hd] -> out [Bl*T, Hq*hd]. Row i of a
//! head attends to columns j with max(0, i - window + 1) <= j <= i (window 0:
//! 0 <= j <= i, plain causal); p_ij = exp(scale s_ij) / (sum_j exp(scale s_ij)
//! + exp(sinks[h])) (sinks empty: no sink term). scores [T, T] and
//! heads_out [Bl, Hq, T, hd] are scratch. Counts the full T x T gemms.
void sink_attention(F4 q, F4 k, F4 v, float scale, FVec sinks, std::int64_t window, FMat scores, F4 heads_out,
                    FMat out, FlopCounter& fc);

}  // namespace titan
