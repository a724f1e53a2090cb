// The ranks a parameter's collectives run over. A parameter Shard-placed on
// the mesh dimensions S (those of size > 1) is split over the ranks that
// differ only along S: its shard group, one whole replica, each member
// holding the box local_box() gives it. The ranks that differ only along the
// other dimensions hold the same box: its replica group. FSDP's gather and
// gradient reduce-scatter run over the shard group, the gradient all-reduce
// of the replicas over the replica group; a group of one rank needs no
// communication. Both are MeshComm sub-communicators (ranks ordered
// row-major over the group's dimensions).
// A gather or reduce may keep mesh dimensions out of the shard group
// (`keep`): expert parallelism keeps ep (each ep rank gathers and reduces
// only its own experts' block over the other dimensions that shard them,
// never the other ep ranks' experts), tensor-parallel compute keeps tp for
// the parameters it splits (each tp rank its own slice).
#pragma once

#include "titan/parallel/mesh_comm.hpp"
#include "titan/parallel/placement.hpp"

#include <mpi.h>

#include <vector>

namespace titan {

struct ShardGroup {
  MPI_Comm comm = MPI_COMM_SELF;     //!< the shard group
  int size = 1, rank = 0;            //!< its size and this rank's place in it
  std::vector<Box> boxes;            //!< each member's box, in member order
  MPI_Comm replicas = MPI_COMM_SELF; //!< the replica group of this rank's box
  int replica_count = 1;             //!< its size
};

//! The mask of the mesh dimensions of size > 1 that shard a tensor placed by `placements`.
MeshDimMask shard_dims(Placements const& placements, Mesh const& mesh);

//! The groups of a tensor of `shape` placed by `placements`, for this rank of `mc`.
//! `keep` names mesh dimensions left out of the shard group: the group then
//! spans the other sharding dimensions only and assembles (or reduces) the
//! part of the tensor this rank's coordinates select along `keep`
//! (kept_region). Tensor-parallel compute keeps its tp slice (keep = tp),
//! expert parallelism its own experts' ep block (keep = ep). The replica
//! group stays that of the whole placement.
ShardGroup shard_group(Shape const& shape, Placements const& placements, MeshComm const& mc, MeshDimMask keep = 0);

//! The part of the tensor this rank's coordinates select along the dimensions
//! in `keep` alone (its tp slice for keep = tp, its experts' rows of dim 0
//! for keep = ep; all of it where `keep` does not shard it): the region a
//! gather that leaves those dimensions out assembles.
Box kept_region(Shape const& shape, Placements const& placements, Mesh const& mesh,
                std::array<int, num_mesh_dims> const& coords, MeshDimMask keep);

//! The mesh dimensions a parameter's gathers and gradient reductions for
//! compute keep (the one rule WeightStore and the comm model share): ep
//! always (a tensor sharded over it, the routed experts, is computed by each
//! ep rank on its own block; ep shards nothing else), and tp for a parameter
//! tensor-parallel compute splits (`tp_split`: TpPlan::split).
inline MeshDimMask compute_keep(bool tp_split) {
  return mesh_dim_bit(ep) | (tp_split ? mesh_dim_bit(tp) : MeshDimMask{0});
}

//! The intersection of `b` with `region` (extent 0 where they miss).
Box clip_to(Box b, Box const& region);

//! The mesh coordinates of member `j` of this rank's group along `dims`
//! (this rank's coordinates elsewhere): MeshComm's row-major order.
std::array<int, num_mesh_dims> group_member_coords(Mesh const& mesh, std::array<int, num_mesh_dims> coords,
                                                   MeshDimMask dims, int j);


}  // namespace titan
