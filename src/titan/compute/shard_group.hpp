// The ranks a parameter's collectives run over. A parameter Shard-placed on
// the mesh dimensions S (those of size > 1) is split over the ranks that
// differ only along S: its shard group, one whole replica, each member
// holding the box local_box() gives it. The ranks that differ only along the
// other dimensions hold the same box: its replica group. FSDP's gather and
// gradient reduce-scatter run over the shard group, the gradient all-reduce
// of the replicas over the replica group; a group of one rank needs no
// communication. Both are MeshComm sub-communicators (ranks ordered
// row-major over the group's dimensions).
// Expert parallelism keeps the ep dimension out of the shard group
// (`local_dims`): each ep rank gathers and reduces only its own experts'
// block over the other dimensions that shard them, never the other ep
// ranks' experts.
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

//! The groups of a tensor of `shape` placed by `placements`, for this rank of
//! `mc`; the dimensions of `local_dims` are left out of the shard group (its
//! members then differ from this rank only along the other shard dimensions).
ShardGroup shard_group(Shape const& shape, Placements const& placements, MeshComm const& mc,
                       MeshDimMask local_dims = 0);

//! Rows [first, first + count) of dim 0: the part of a tensor's dim 0 that
//! the dimensions of `local_dims` give this rank (all rows when they do not
//! shard it). InternalError when they shard a dimension other than 0.
std::array<std::int64_t, 2> local_rows(Shape const& shape, Placements const& placements, Mesh const& mesh,
                                       std::array<int, num_mesh_dims> const& coords, MeshDimMask local_dims);

//! The mesh coordinates of member `j` of this rank's group along `dims`
//! (this rank's coordinates elsewhere): MeshComm's row-major order.
std::array<int, num_mesh_dims> group_member_coords(Mesh const& mesh, std::array<int, num_mesh_dims> coords,
                                                   MeshDimMask dims, int j);

//! `b` clipped to rows [r0, r1) of dim 0 (extent 0 there when they miss it).
Box clip_rows(Box b, std::int64_t r0, std::int64_t r1);

}  // namespace titan
