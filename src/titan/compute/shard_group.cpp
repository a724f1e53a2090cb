#include "titan/compute/shard_group.hpp"

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

ShardGroup shard_group(Shape const& shape, Placements const& placements, MeshComm const& mc, MeshDimMask keep) {
  Mesh const& mesh = mc.mesh();
  MeshDimMask const all_s = shard_dims(placements, mesh), s = all_s & ~keep;
  ShardGroup g;
  g.comm = mc.along(s);
  g.replicas = mc.along(all_mesh_dims & ~all_s);
  TITAN_MPI_CHECK(MPI_Comm_size(g.comm, &g.size));
  TITAN_MPI_CHECK(MPI_Comm_rank(g.comm, &g.rank));
  TITAN_MPI_CHECK(MPI_Comm_size(g.replicas, &g.replica_count));
  g.boxes.reserve(static_cast<std::size_t>(g.size));
  for (int j = 0; j < g.size; ++j)
    g.boxes.push_back(local_box(shape, placements, mesh, group_member_coords(mesh, mc.coords(), s, j)));
  return g;
}

Box kept_region(Shape const& shape, Placements const& placements, Mesh const& mesh,
                std::array<int, num_mesh_dims> const& coords, MeshDimMask keep) {
  Placements only = replicated();
  for (int m = 0; m < num_mesh_dims; ++m)
    if (keep & mesh_dim_bit(m)) only[m] = placements[m];
  return local_box(shape, only, mesh, coords);
}

Box clip_to(Box b, Box const& region) {
  for (std::size_t d = 0; d < b.offset.size(); ++d) {
    std::int64_t const lo = std::max(b.offset[d], region.offset[d]);
    std::int64_t const hi = std::min(b.offset[d] + b.extent[d], region.offset[d] + region.extent[d]);
    b.offset[d] = lo;
    b.extent[d] = std::max<std::int64_t>(0, hi - lo);
  }
  return b;
}

}  // namespace titan
