// gpt-oss's routed MoE (torchtitan models/gpt_oss/moe.py with the common
// TokenChoiceTopKRouter): a router gate with a bias, and experts
//   h = mlp1 x + mlp1_bias            [2 Fm], rows interleaved (2f gate, 2f+1 up)
//   g = min(h_gate, limit), u = clamp(h_up, -limit, limit)
//   a = g sigmoid(alpha g) (u + 1)    [Fm]   (torchtitan: addcmul(glu, glu, u))
//   y = mlp2 a + mlp2_bias            [D]
// out = sum_k gate_k y_k: the routing scores weight the expert outputs, bias
// included, after the experts (the dispatcher's combine). No shared experts.
#pragma once

#include "titan/forward/kernels.hpp"

namespace titan {

struct GptOssMoEWeights {
  FMat gate;         // [E, D]
  FVec gate_bias;    // [E] (empty: none)
  FVec expert_bias;  // [E] load-balancing bias, for choosing only (empty: none)
  F3 mlp1;           // [E, 2 Fm, D]
  FMat mlp1_bias;    // [E, 2 Fm]
  F3 mlp2;           // [E, D, Fm]
  FMat mlp2_bias;    // [E, D]
};

//! out [N, D] for x [N, D] (spec: E, K, Fm, score_func, route_norm,
//! route_scale, swiglu_limit, swiglu_alpha). Routing in float32: scores =
//! softmax (or sigmoid) of gate x + gate_bias; the K experts by top-k of
//! scores + expert_bias (ties: lower id); gates = the unbiased scores, / their
//! sum + 1e-20 with route_norm, * route_scale.
void gpt_oss_moe_forward(FMat x, GptOssMoEWeights const& w, MoESpec const& spec, FMat out, FlopCounter& fc);

}  // namespace titan
