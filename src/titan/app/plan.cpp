#include "titan/app/plan.hpp"

#include "titan/parallel/collective.hpp"
#include "titan/parallel/tiling.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <tuple>

namespace titan {

namespace {

// Parameters with the same shape, placements and dtype share a layout.
struct SharedLayout {
  Shape shape;
  Placements placements;
  std::int64_t dtype_bytes = 0;
  std::int64_t count = 0;  // parameters with this layout
  std::string first_fqn;
};

std::vector<SharedLayout> distinct_layouts(std::vector<ParameterPtr> const& params) {
  using Key = std::tuple<Shape, std::array<int, num_mesh_dims>, int>;
  std::map<Key, std::size_t> index;
  std::vector<SharedLayout> layouts;
  for (auto const& p : params) {
    std::array<int, num_mesh_dims> dims{};
    for (int m = 0; m < num_mesh_dims; ++m) dims[m] = p->placements()[m].shard_dim;
    Key key{p->shape(), dims, static_cast<int>(p->dtype())};
    auto const found = index.emplace(key, layouts.size());
    if (found.second)
      layouts.push_back({p->shape(), p->placements(), static_cast<std::int64_t>(dtype_size(p->dtype())), 0, p->fqn()});
    ++layouts[found.first->second].count;
  }
  return layouts;
}

// The distinct boxes of a layout: one per combination of the coordinates
// along the mesh dimensions that shard it (the others do not move the box).
// A rank at coordinates c holds boxes[sum_m c[m] * stride[m]]; coords[k] is
// the primary replica (coordinate 0 on the other dimensions) holding box k.
struct LayoutBoxes {
  std::array<std::int64_t, num_mesh_dims> stride{};  // 0 on dimensions that do not shard the layout
  std::vector<Box> boxes;
  std::vector<std::array<int, num_mesh_dims>> coords;
};

LayoutBoxes boxes_of(SharedLayout const& l, Mesh const& mesh) {
  LayoutBoxes out;
  std::int64_t count = 1;
  for (int m = num_mesh_dims - 1; m >= 0; --m)  // row-major: the last dimension fastest
    if (l.placements[m].is_shard() && mesh.size(m) > 1) {
      out.stride[m] = count;
      count *= mesh.size(m);
    }
  out.boxes.reserve(static_cast<std::size_t>(count));
  out.coords.reserve(static_cast<std::size_t>(count));
  for (std::int64_t k = 0; k < count; ++k) {
    std::array<int, num_mesh_dims> c{};
    for (int m = 0; m < num_mesh_dims; ++m)
      if (out.stride[m]) c[m] = static_cast<int>(k / out.stride[m] % mesh.size(m));
    out.boxes.push_back(local_box(l.shape, l.placements, mesh, c));
    out.coords.push_back(c);
  }
  return out;
}

}  // namespace

LayoutPlan plan_layout(std::vector<ParameterPtr> const& params, Mesh const& mesh) {
  auto const ranks = static_cast<std::size_t>(mesh.world_size());
  LayoutPlan plan;
  plan.params_per_rank.assign(ranks, 0);
  plan.bytes_per_rank.assign(ranks, 0);
  std::vector<std::array<int, num_mesh_dims>> coords(ranks);
  for (std::size_t r = 0; r < ranks; ++r) coords[r] = mesh.coords(static_cast<int>(r));

  for (SharedLayout const& l : distinct_layouts(params)) {
    LayoutBoxes const lb = boxes_of(l, mesh);
    std::vector<std::int64_t> numel(lb.boxes.size());
    for (std::size_t k = 0; k < numel.size(); ++k) {
      numel[k] = lb.boxes[k].numel();
      if (numel[k] * l.dtype_bytes > plan.largest_shard_bytes) {
        plan.largest_shard_bytes = numel[k] * l.dtype_bytes;
        plan.largest_shard_fqn = l.first_fqn;
      }
    }
    for (std::size_t r = 0; r < ranks; ++r) {
      std::int64_t k = 0;
      for (int m = 0; m < num_mesh_dims; ++m) k += coords[r][m] * lb.stride[m];
      std::int64_t const n = l.count * numel[static_cast<std::size_t>(k)];
      plan.params_per_rank[r] += n;
      plan.bytes_per_rank[r] += n * l.dtype_bytes;
    }
  }
  return plan;
}

RankLoad LayoutPlan::load() const {
  RankLoad load;
  load.largest_shard_bytes = largest_shard_bytes;
  load.largest_shard_fqn = largest_shard_fqn;
  if (bytes_per_rank.empty()) return load;
  load.params_min = *std::min_element(params_per_rank.begin(), params_per_rank.end());
  load.params_max = *std::max_element(params_per_rank.begin(), params_per_rank.end());
  auto const max_at = std::max_element(bytes_per_rank.begin(), bytes_per_rank.end());
  load.bytes_max = *max_at;
  load.rank_of_max = static_cast<int>(max_at - bytes_per_rank.begin());
  load.bytes_min = *std::min_element(bytes_per_rank.begin(), bytes_per_rank.end());
  std::int64_t sum = 0;  // as measured_load() does, so both give the same double
  for (auto b : bytes_per_rank) sum += b;
  load.bytes_avg = static_cast<double>(sum) / static_cast<double>(bytes_per_rank.size());
  return load;
}

LayoutVerdict verify_planned_layout(std::vector<ParameterPtr> const& params, Mesh const& mesh) {
  LayoutVerdict verdict;
  for (SharedLayout const& l : distinct_layouts(params)) {
    LayoutBoxes const lb = boxes_of(l, mesh);
    TilingResult const t = check_tiling(l.shape, lb.boxes, [&](std::size_t k) {
      return "primary " + describe_rank(mesh, mesh.rank_of(lb.coords[k]));
    });
    if (t.ok) continue;
    verdict.ok = false;
    verdict.problem_count += l.count;
    if (verdict.problems.size() < static_cast<std::size_t>(max_reported_problems))
      verdict.problems.push_back(l.first_fqn + " " + describe(l.shape) +
                                 (l.count > 1 ? " (and " + std::to_string(l.count - 1) + " more with this layout)" : "") +
                                 ": " + t.problem);
  }
  return verdict;
}

RankLoad measured_load(std::vector<ParameterPtr> const& params, MPI_Comm comm) {
  int rank = 0, size = 1;
  TITAN_MPI_CHECK(MPI_Comm_rank(comm, &rank));
  TITAN_MPI_CHECK(MPI_Comm_size(comm, &size));
  RankLoad load;
  std::int64_t const mine[2] = {local_params(params), local_bytes(params)};
  std::int64_t lo[2], hi[2], sum = 0;
  TITAN_MPI_CHECK(MPI_Allreduce(mine, lo, 2, MPI_INT64_T, MPI_MIN, comm));
  TITAN_MPI_CHECK(MPI_Allreduce(mine, hi, 2, MPI_INT64_T, MPI_MAX, comm));
  TITAN_MPI_CHECK(MPI_Allreduce(&mine[1], &sum, 1, MPI_INT64_T, MPI_SUM, comm));
  load.params_min = lo[0];
  load.params_max = hi[0];
  load.bytes_min = lo[1];
  load.bytes_max = hi[1];
  load.bytes_avg = static_cast<double>(sum) / size;

  // MAXLOC keeps the lowest index among equal values: the first rank with
  // the most bytes, and the first parameter (registration order) with the
  // largest shard, as plan_layout() picks them. Doubles hold these exactly.
  struct {
    double value;
    int index;
  } most{static_cast<double>(mine[1]), rank}, largest{0.0, 0};
  for (std::size_t i = 0; i < params.size(); ++i)
    if (static_cast<double>(params[i]->local_bytes()) > largest.value)
      largest = {static_cast<double>(params[i]->local_bytes()), static_cast<int>(i)};
  TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &most, 1, MPI_DOUBLE_INT, MPI_MAXLOC, comm));
  TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &largest, 1, MPI_DOUBLE_INT, MPI_MAXLOC, comm));
  load.rank_of_max = most.index;
  load.largest_shard_bytes = static_cast<std::int64_t>(largest.value);
  if (load.largest_shard_bytes > 0) load.largest_shard_fqn = params[static_cast<std::size_t>(largest.index)]->fqn();
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
