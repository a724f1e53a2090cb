// Placements of a tensor on the mesh and the local box each rank owns
// (design §4). One function, local_box(), serves both the real run and the
// planner, so they cannot disagree.
#pragma once

#include "titan/parallel/mesh.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace titan {

//! Replicate, or Shard(dim) of a tensor dimension.
struct Placement {
  int shard_dim = -1;  // -1 = Replicate
  static Placement replicate() { return Placement{-1}; }
  static Placement shard(int d) { return Placement{d}; }
  bool is_shard() const { return shard_dim >= 0; }
  bool operator==(Placement const& o) const { return shard_dim == o.shard_dim; }
  std::string describe() const;  // "Shard(0)" / "Replicate"
};

//! One placement per mesh dimension, indexed by MeshDim.
using Placements = std::array<Placement, num_mesh_dims>;
//! Placements that replicate on every mesh dimension.
Placements replicated();
//! "(dp_shard=Shard(0), ep=Replicate, tp=Replicate)"
std::string describe(Placements const& p);
//! Parses "Shard(1)" / "Replicate"; returns false when malformed.
bool parse_placement(std::string const& text, Placement& out);

//! Order in which mesh dimensions that shard the same tensor dimension nest:
//! the model-parallel split is the outer one (tp, then ep) and FSDP's
//! dp_shard splits inside the resulting block, as torchtitan applies TP
//! first and FSDP on the TP shard.
constexpr std::array<int, num_mesh_dims> shard_nesting_order{{tp, ep, dp_shard}};

using Shape = std::vector<std::int64_t>;

//! A rectangular block of a tensor: per dimension an offset and an extent.
struct Box {
  Shape offset, extent;
  std::int64_t numel() const;
};

//! torch.chunk's split of n into k chunks: chunk c = ceil(n/k); chunk r is
//! [r*c, min((r+1)*c, n)), empty when r*c >= n. Returns {offset, extent}.
std::array<std::int64_t, 2> chunk_range(std::int64_t n, int k, int r);

//! The box of a tensor of `shape` placed by `placements` owned by the rank
//! at mesh coordinates `coords`.
Box local_box(Shape const& shape, Placements const& placements, Mesh const& mesh,
              std::array<int, num_mesh_dims> const& coords);

//! True when this rank's copy counts for reductions: its coordinate is 0 on
//! every mesh dimension along which the tensor is replicated. These ranks
//! form one replica group that holds each element exactly once.
bool is_primary_replica(Placements const& placements, Mesh const& mesh, std::array<int, num_mesh_dims> const& coords);

std::int64_t numel(Shape const& shape);
std::string describe(Shape const& shape);  // "[4096, 128256]"

}  // namespace titan
