// The analytic model of a step's parameter and gradient traffic
// (docs/parallelism.md): from each parameter's shape, placements and uses
// alone, the bytes one rank puts into its send buffers per collective kind,
// what WeightStore counts while it runs. No communication, no allocation:
// the real run reports it beside the measured bytes, the planner prints it
// for any world size.
#pragma once

#include "titan/compute/tp_plan.hpp"
#include "titan/modules/language_model.hpp"
#include "titan/parallel/mesh.hpp"

#include <array>

namespace titan {

struct StepCommBytes {
  double all_gather = 0, reduce_scatter = 0, all_reduce = 0, all_to_all = 0;
  double total() const { return all_gather + reduce_scatter + all_reduce + all_to_all; }
};

//! The bytes the rank at mesh coordinates `coords` sends in one forward pass
//! (`training` false) or one training step of `model` computed tensor-
//! parallel by `plan`, on `rows` tokens (its sequences x seq_len; the tp
//! activations' all-reduces grow with them), `checkpointing` blocks.
StepCommBytes model_step_comm(LanguageModel const& model, TpPlan const& plan, Mesh const& mesh,
                              std::array<int, num_mesh_dims> const& coords, bool training, std::int64_t rows,
                              bool checkpointing);

}  // namespace titan
