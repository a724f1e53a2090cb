// The planner: the exact per-rank layout of a model for any world size,
// computed without allocating, with the same local_box() the real run
// allocates from.
#pragma once

#include "titan/modules/parameter.hpp"
#include "titan/parallel/layout_check.hpp"

#include <mpi.h>

#include <string>
#include <vector>

namespace titan {

//! Summary of the per-rank loads.
struct RankLoad {
  std::int64_t params_min = 0, params_max = 0;
  std::int64_t bytes_min = 0, bytes_max = 0;
  double bytes_avg = 0;
  int rank_of_max = 0;                   // first rank holding bytes_max
  std::int64_t largest_shard_bytes = 0;  // largest single local tensor shard on any rank
  std::string largest_shard_fqn;         // its tensor (first in registration order)
  //! bytes_max / bytes_avg: 1 is perfectly balanced.
  double imbalance() const { return load_imbalance(bytes_max, bytes_avg); }
  static double load_imbalance(std::int64_t max, double avg) { return avg > 0 ? static_cast<double>(max) / avg : 1.0; }
};

//! Parameters and bytes of every rank of a mesh.
struct LayoutPlan {
  std::vector<std::int64_t> params_per_rank, bytes_per_rank;  // indexed by world rank
  std::int64_t largest_shard_bytes = 0;
  std::string largest_shard_fqn;
  RankLoad load() const;
};

//! The load of every rank of `mesh` for `params` (described, not allocated;
//! their own rank and allocation do not matter). Not collective. Parameters
//! with the same shape, placements and dtype share one layout, and a layout
//! calls local_box() once per combination of the coordinates along the mesh
//! dimensions that shard it, so the cost is O(layouts x world size), e.g.
//! well under a second for Llama3 405B on 16,384 ranks.
LayoutPlan plan_layout(std::vector<ParameterPtr> const& params, Mesh const& mesh);

//! The tiling check of --verify-layout for a planned layout (--dry-run, any
//! world size): for every distinct layout, the boxes local_box() gives the
//! ranks of one replica group must tile the tensor exactly (check_tiling).
//! Not collective; replicas and stored values need a real run
//! (verify_layout()).
LayoutVerdict verify_planned_layout(std::vector<ParameterPtr> const& params, Mesh const& mesh);

//! Collective over `comm`: the loads the ranks of a real run hold (each
//! rank's parameters' local boxes), reduced to the same summary as
//! LayoutPlan::load(), on every rank.
RankLoad measured_load(std::vector<ParameterPtr> const& params, MPI_Comm comm);

//! This rank's own load (from its parameters' local boxes).
std::int64_t local_params(std::vector<ParameterPtr> const& params);
std::int64_t local_bytes(std::vector<ParameterPtr> const& params);

}  // namespace titan
