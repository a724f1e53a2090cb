// The planner: per-rank parameter counts and bytes for any world size,
// computed with the same local_box() the real run allocates from.
#pragma once

#include "titan/modules/parameter.hpp"

#include <vector>

namespace titan {

struct RankLoad {
  std::int64_t params_min = 0, params_max = 0;
  std::int64_t bytes_min = 0, bytes_max = 0;
  int rank_of_max = 0;
  std::int64_t largest_shard_bytes = 0;  // largest single local tensor shard on any rank
};

//! Loads of every rank of `mesh` for `params` (described, not allocated).
RankLoad plan_layout(std::vector<ParameterPtr> const& params, Mesh const& mesh);

//! This rank's own load.
std::int64_t local_params(std::vector<ParameterPtr> const& params);
std::int64_t local_bytes(std::vector<ParameterPtr> const& params);

}  // namespace titan
