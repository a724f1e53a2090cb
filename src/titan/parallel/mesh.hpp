// The device mesh: world ranks arranged row-major over named dimensions
// [dp_shard, ep, tp] (tp fastest, as torchtitan lays out its dense mesh).
// A Mesh is a plain value (sizes + this rank's coordinates) so that the
// planner can reason about any rank of any world size without MPI.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace titan {

enum MeshDim : int { dp_shard = 0, ep = 1, tp = 2 };
constexpr int num_mesh_dims = 3;
char const* mesh_dim_name(int d);

//! Mesh sizes as the deck gives them; -1 means "the remaining ranks".
struct MeshRequest {
  std::array<int, num_mesh_dims> sizes{{-1, 1, 1}};
};

class Mesh {
 public:
  //! Resolves a request for `world_size` ranks; throws InputError when the
  //! sizes cannot multiply to the world size (naming both numbers).
  static Mesh resolve(MeshRequest const& request, int world_size);

  int world_size() const { return _world_size; }
  int size(int dim) const { return _sizes[dim]; }
  std::array<int, num_mesh_dims> const& sizes() const { return _sizes; }
  //! Coordinates of `rank` (row-major, tp fastest).
  std::array<int, num_mesh_dims> coords(int rank) const;
  //! The rank at `coords` (the inverse of coords()).
  int rank_of(std::array<int, num_mesh_dims> const& coords) const;
  //! The data-parallel ranks (dp_shard x ep), over which the batch is split,
  //! and `rank`'s place among them (tp fastest: the tp ranks of one
  //! data-parallel coordinate share its sequences).
  int data_parallel_size() const { return _world_size / _sizes[2]; }
  int data_parallel_rank(int rank) const { return rank / _sizes[2]; }
  //! "dp_shard=2 x ep=1 x tp=1"
  std::string describe() const;

 private:
  int _world_size = 1;
  std::array<int, num_mesh_dims> _sizes{{1, 1, 1}};
};

}  // namespace titan
