// The parts of a routed mixture of experts that every expert kind shares
// (torchtitan's TokenChoiceTopKRouter and its token dispatcher), forward and
// backward: scores and the top-k choice, the grouping of (token, expert)
// pairs by expert, the gathering of the experts' inputs and the weighted
// combination of their outputs. The top-k choice itself is not
// differentiated (as in torch); gradients flow through the gate values.
#pragma once

#include "titan/compute/compute_types.hpp"

#include <vector>

namespace titan {

struct RouterSettings {
  std::int64_t num_experts = 0, top_k = 1;  // E, K
  bool softmax = true;                      // else sigmoid
  bool route_norm = false;                  // the K selected scores renormalized to sum 1 (+1e-20)
  float route_scale = 1.0f;
  std::int64_t n_groups = 0, n_limited_groups = 0;  // node-limited routing; 0 = none
};

using IndexMat = Kokkos::View<std::int64_t**, Layout, MemSpace>;
using IndexVec = Kokkos::View<std::int64_t*, Layout, MemSpace>;

//! The routing of N tokens: chosen experts, gate values and what the
//! backward pass needs.
struct Routing {
  IndexMat chosen;              // [N, K] expert ids, in choice order
  Act gates;                    // [N, K] final gate values (route_norm, route_scale applied)
  Kokkos::View<float*, Layout, MemSpace> total;  // [N] sum of the K unbiased scores + 1e-20
  // The grouping by expert: rows [offset[e], offset[e+1]) of the sorted
  // buffers belong to expert e; slot_token[s] is the token of sorted row s;
  // slot_of(n, k) the sorted row of token n's k-th choice.
  std::vector<std::int64_t> offset;  // host, E + 1
  IndexVec slot_token;               // [N*K]
  IndexMat slot_of;                  // [N, K]
};

//! scores [N, E]: the router's logits in, its probabilities out (softmax or
//! sigmoid, float32); the top-k on scores + expert_bias (when not empty;
//! ties to the lower id), within the kept groups for node-limited routing.
Routing route_tokens(FMat scores, FVec expert_bias, RouterSettings const& s);

//! dlogits [N, E] (overwritten) from dgates [N, K], through the gate values
//! and the softmax/sigmoid; `scores` are the probabilities route_tokens left.
void route_backward(FMat scores, Routing const& r, FMat dgates, RouterSettings const& s, FMat dlogits);

//! xs [N*K, D]: row s = x[slot_token[s]], times the gate when `scale_by_gate`
//! (torchtitan's score_before_experts).
void dispatch_rows(FMat x, Routing const& r, bool scale_by_gate, FMat xs);
//! out [N, D] = sum_k w_k ys[slot_of(n, k)], w = the gate, or 1 when the gate went in before.
void combine_rows(FMat ys, Routing const& r, bool gate_applied_before, FMat out);

//! The gradient of combine_rows: dys [N*K, D] (overwritten); dgates [N, K]
//! (overwritten) = dout_n . ys[slot] when the gate is applied here, else untouched.
void combine_rows_backward(FMat dout, FMat ys, Routing const& r, bool gate_applied_before, FMat dys, FMat dgates);
//! The gradient of dispatch_rows: dx [N, D] = beta dx + sum_k w_k dxs[slot_of(n, k)]
//! (w = gate when scale_by_gate, else 1); with scale_by_gate also
//! dgates(n, k) = dxs[slot] . x_n (overwritten).
void dispatch_rows_backward(FMat dxs, FMat x, Routing const& r, bool scale_by_gate, float beta, FMat dx, FMat dgates);

//! Tokens routed to each expert (from the grouping) [E].
std::vector<double> tokens_per_expert(Routing const& r);

}  // namespace titan
