// Default placements shared by the decoder families (spec 5.3-5.5), over
// titan_app's mesh (dp_shard, ep, tp). See docs/sharding.md.
#pragma once

#include "titan/parallel/placement.hpp"

#include <cstdint>

namespace titan {

//! A dense (non-expert) parameter: FSDP Shard(0) over dp_shard, `tp_placement`
//! over tp, Replicate over ep (expert parallelism replicates everything but
//! the routed experts).
inline Placements fsdp_with_tp(Placement tp_placement) {
  Placements p = replicated();
  p[dp_shard] = Placement::shard(0);
  p[tp] = tp_placement;
  return p;
}

//! A routed-expert tensor of `num_experts` experts ([E, Fm, D] or [E, D, Fm]);
//! `tp_dim` is its Fm dimension (1 for w1/w3, 2 for w2).
//!  * ep = 1: tp Shard(tp_dim) (the Fm dim, spec 5.3); FSDP over dp_shard on
//!    dim 0, or dim 1 when the mesh handed to FSDP (dp_shard * tp ranks)
//!    exceeds E (spec 5.5).
//!  * ep > 1: ep Shard(0) (E/ep consecutive experts per EP rank), FSDP over
//!    dp_shard nested inside the EP block on dim 0 when dp_shard * ep <= E,
//!    else on dim 1 (spec 5.5); tp still splits the Fm dim. torchtitan carves
//!    ep out of dp_shard * tp and shards experts over efsdp = dp_shard * tp / ep,
//!    so no rank holds a replica; titan_app's ep is a mesh dimension of its
//!    own, and splitting Fm over tp keeps that property (bytes per rank =
//!    expert bytes / world, as in torchtitan). See docs/sharding.md.
inline Placements expert_placements(Mesh const& mesh, std::int64_t num_experts, int tp_dim) {
  Placements p = replicated();
  std::int64_t const dp = mesh.size(dp_shard), e = mesh.size(ep), t = mesh.size(tp);
  if (e > 1) {
    p[ep] = Placement::shard(0);
    p[tp] = Placement::shard(tp_dim);
    p[dp_shard] = Placement::shard(dp * e <= num_experts ? 0 : 1);
  } else {
    p[tp] = Placement::shard(tp_dim);
    p[dp_shard] = Placement::shard(dp * t > num_experts ? 1 : 0);
  }
  return p;
}

}  // namespace titan
