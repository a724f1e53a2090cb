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

class Attention;
class MLAttention;
class FeedForward;

//! The plan for every module under `root` on `mesh` (empty when tp = 1).
TpPlan plan_tensor_parallel(Module const& root, Mesh const& mesh);

//! Whether a module computes split over `n_tp` > 1 ranks (the rules above);
//! what the plan and the modules' memory terms (activation_bytes) both ask.
bool tp_splits(Attention const& a, int n_tp);
bool tp_splits(MLAttention const& a, int n_tp);
bool tp_splits(FeedForward const& f, int n_tp);
//! A vocabulary-parallel embedding or output head weight [vocab, dim].
bool tp_splits_vocab(Parameter const& w, std::int64_t vocab, int n_tp);

}  // namespace titan
