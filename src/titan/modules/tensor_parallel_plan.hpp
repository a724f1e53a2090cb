// Which modules compute tensor-parallel on a mesh with tp > 1, and so which
// parameters the WeightStore gathers as tp slices (compute/tp_plan.hpp).
// A module is split when its placements are torchtitan's TP plan (column-
// parallel weights Shard(0) on tp, row-parallel Shard(1), their biases
// following) and its heads / hidden units divide by tp; otherwise it is
// computed whole by every tp rank (docs/parallelism.md lists what stays whole).
#pragma once

#include "titan/compute/tp_plan.hpp"
#include "titan/modules/module.hpp"

namespace titan {

//! The plan for every module under `root` on `mesh` (empty when tp = 1).
TpPlan plan_tensor_parallel(Module const& root, Mesh const& mesh);

}  // namespace titan
