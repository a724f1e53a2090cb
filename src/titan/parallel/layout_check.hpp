// The collective layout verification behind --verify-layout (design §4):
// every tensor's local boxes tile it exactly once per replica group, each
// replica group has one primary copy (the one reductions count), every rank
// stores exactly its box, and replicas hold identical boxes and values.
#pragma once

#include "titan/parallel/mesh_comm.hpp"
#include "titan/parallel/placement.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace titan {

//! One rank's view of one tensor, as the verification needs it. Every rank
//! passes the same tensors in the same order (names, shapes, placements).
struct ShardRecord {
  std::string name;             // FQN, for messages
  Shape shape;                  // global shape
  Placements placements;
  Box box;                      // the box this rank holds
  bool primary = false;         // this rank's copy is the one reductions count
  std::int64_t stored = 0;      // elements this rank actually stores
  std::uint64_t value_hash = 0; // hash of the local values with their global indices (equal boxes and values => equal hash)
};

struct LayoutVerdict {
  bool ok = true;
  std::int64_t problem_count = 0;     // over all ranks
  std::vector<std::string> problems;  // the first few, from the lowest rank that found any (same on every rank)
};

//! The mesh dimensions (of size > 1) along which `p` is replicated.
MeshDimMask replicated_dims(Placements const& p, Mesh const& mesh);

//! "rank 5 (dp_shard=1, ep=0, tp=1)"
std::string describe_rank(Mesh const& mesh, int rank);

//! Collective over the world of `comm`. Checks, for every tensor:
//!  - this rank stores box.numel() elements;
//!  - along the replicated dimensions, all ranks hold the same box and the
//!    same value hash, and exactly one of them is primary;
//!  - the primary ranks' boxes tile the tensor exactly (check_tiling; each
//!    tensor is checked on rank `index % world size`, so the work and memory
//!    per rank are O(tensors + ranks), not O(tensors * ranks)).
//! Communication: one Alltoall + one Alltoallv, three Allreduces per set of
//! replicated dimensions in use, and a few small reductions for the verdict.
//! Every rank returns the same verdict.
LayoutVerdict verify_layout(std::vector<ShardRecord> const& shards, MeshComm const& comm);

//! Most problems a verdict carries as text.
constexpr int max_reported_problems = 8;

}  // namespace titan
