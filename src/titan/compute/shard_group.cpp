#include "titan/compute/shard_group.hpp"

#include "titan/core/errors.hpp"
#include "titan/parallel/collective.hpp"

#include <algorithm>

namespace titan {

MeshDimMask shard_dims(Placements const& placements, Mesh const& mesh) {
  MeshDimMask s = 0;
  for (int m = 0; m < num_mesh_dims; ++m)
    if (placements[m].is_shard() && mesh.size(m) > 1) s |= mesh_dim_bit(m);
  return s;
}

std::array<int, num_mesh_dims> group_member_coords(Mesh const& mesh, std::array<int, num_mesh_dims> coords,
                                                   MeshDimMask dims, int j) {
  for (int m = num_mesh_dims; m-- > 0;)  // the last dimension varies fastest
    if (dims & mesh_dim_bit(m)) {
      coords[m] = j % mesh.size(m);
      j /= mesh.size(m);
    }
  return coords;
}

ShardGroup shard_group(Shape const& shape, Placements const& placements, MeshComm const& mc, MeshDimMask local_dims) {
  Mesh const& mesh = mc.mesh();
  MeshDimMask const sharding = shard_dims(placements, mesh), s = sharding & ~local_dims;
  ShardGroup g;
  g.comm = mc.along(s);
  g.replicas = mc.along(all_mesh_dims & ~sharding);
  TITAN_MPI_CHECK(MPI_Comm_size(g.comm, &g.size));
  TITAN_MPI_CHECK(MPI_Comm_rank(g.comm, &g.rank));
  TITAN_MPI_CHECK(MPI_Comm_size(g.replicas, &g.replica_count));
  g.boxes.reserve(static_cast<std::size_t>(g.size));
  for (int j = 0; j < g.size; ++j)
    g.boxes.push_back(local_box(shape, placements, mesh, group_member_coords(mesh, mc.coords(), s, j)));
  return g;
}

std::array<std::int64_t, 2> local_rows(Shape const& shape, Placements const& placements, Mesh const& mesh,
                                       std::array<int, num_mesh_dims> const& coords, MeshDimMask local_dims) {
  Placements only = replicated();
  for (int m = 0; m < num_mesh_dims; ++m)
    if (local_dims & mesh_dim_bit(m)) only[m] = placements[m];
  Box const b = local_box(shape, only, mesh, coords);
  for (std::size_t d = 1; d < shape.size(); ++d)
    require_internal(b.extent[d] == shape[d], "a tensor kept local along a mesh dimension must be split there on dim 0");
  return {b.offset[0], b.extent[0]};
}

Box clip_rows(Box b, std::int64_t r0, std::int64_t r1) {
  std::int64_t const lo = std::max(b.offset[0], r0), hi = std::min(b.offset[0] + b.extent[0], r1);
  b.offset[0] = lo;
  b.extent[0] = std::max<std::int64_t>(0, hi - lo);
  return b;
}

}  // namespace titan
