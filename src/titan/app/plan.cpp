#include "titan/app/plan.hpp"

#include <algorithm>
#include <limits>

namespace titan {

RankLoad plan_layout(std::vector<ParameterPtr> const& params, Mesh const& mesh) {
  RankLoad load;
  load.params_min = load.bytes_min = std::numeric_limits<std::int64_t>::max();
  for (int r = 0; r < mesh.world_size(); ++r) {
    auto const coords = mesh.coords(r);
    std::int64_t n = 0, bytes = 0;
    for (auto const& p : params) {
      std::int64_t const local = local_box(p->shape(), p->placements(), mesh, coords).numel();
      std::int64_t const b = local * static_cast<std::int64_t>(dtype_size(p->dtype()));
      n += local;
      bytes += b;
      load.largest_shard_bytes = std::max(load.largest_shard_bytes, b);
    }
    load.params_min = std::min(load.params_min, n);
    load.bytes_min = std::min(load.bytes_min, bytes);
    if (n > load.params_max) load.rank_of_max = r;
    load.params_max = std::max(load.params_max, n);
    load.bytes_max = std::max(load.bytes_max, bytes);
  }
  return load;
}

std::int64_t local_params(std::vector<ParameterPtr> const& params) {
  std::int64_t n = 0;
  for (auto const& p : params) n += p->local_numel();
  return n;
}

std::int64_t local_bytes(std::vector<ParameterPtr> const& params) {
  std::int64_t n = 0;
  for (auto const& p : params) n += p->local_bytes();
  return n;
}

}  // namespace titan
