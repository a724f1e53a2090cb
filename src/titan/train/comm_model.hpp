// The analytic model of a step's parameter and gradient traffic
// (docs/parallelism.md): from each parameter's shape, placements and uses
// alone, the bytes one rank puts into its send buffers per collective kind,
// what WeightStore counts while it runs; the MoE's all-to-all from the
// step's routing counts. No communication, no allocation:
// the real run reports it beside the measured bytes, the planner prints it
// for any world size.
#pragma once

#include "titan/compute/tp_plan.hpp"
#include "titan/modules/language_model.hpp"
#include "titan/parallel/mesh.hpp"

#include <array>
#include <cstdint>
#include <vector>

namespace titan {

struct StepCommBytes {
  double all_gather = 0, reduce_scatter = 0, all_reduce = 0, all_to_all = 0;
  double total() const { return all_gather + reduce_scatter + all_reduce + all_to_all; }
};

//! The bytes the rank at mesh coordinates `coords` sends in one forward pass
//! (`training` false) or one training step of `model` computed tensor-
//! parallel by `plan`, on `rows` tokens (its sequences x seq_len; the tp
//! activations' all-reduces grow with them), `checkpointing` blocks
//! (all_to_all: 0, see below).
StepCommBytes model_step_comm(LanguageModel const& model, TpPlan const& plan, Mesh const& mesh,
                              std::array<int, num_mesh_dims> const& coords, bool training, std::int64_t rows,
                              bool checkpointing);

//! The MoE token dispatch's all-to-all bytes of the rank at ep coordinate
//! `me`: routed[l][s][e] is the number of (token, expert) rows ep rank s
//! (of this rank's ep group) routed to expert e in MoE layer l, whose rows
//! are width[l] floats; experts are split over the ep ranks in torch.chunk
//! blocks. Per pass the rank sends its rows for other ranks' experts and
//! sends back the rows other ranks sent to its experts; `passes` is 1 for a
//! forward pass, 2 for a training step (forward, backward), 3 with
//! activation checkpointing (the forward recomputed).
double model_all_to_all_bytes(std::vector<std::vector<std::vector<double>>> const& routed,
                              std::vector<std::int64_t> const& width, int me, int passes);

//! The same for routing spread evenly over the experts (the planner's
//! figure, before any routing exists): `rows` (token, expert) rows of this
//! rank per layer, of which (ep - 1) / ep go to other ranks and as many
//! come back to be computed here; one width per expert-parallel layer.
double balanced_all_to_all_bytes(std::vector<std::int64_t> const& width, double rows, int ep, int passes);

}  // namespace titan
