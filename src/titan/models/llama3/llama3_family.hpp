// The Llama3 family: the Decoder config with torchtitan's init rules and
// default placements, and its registry entry.
#pragma once

#include "titan/models/common/init_rules.hpp"
#include "titan/models/family.hpp"
#include "titan/models/llama3/llama3_args.hpp"
#include "titan/modules/attention.hpp"
#include "titan/modules/decoder.hpp"
#include "titan/modules/feed_forward.hpp"

namespace titan {

//! The whole Decoder config: per-layer init stds (sigma_i = 0.02 / sqrt(2 (i+1))
//! for wo, w2, w3), trunc-normal 0.02 for wq/wk/wv/w1, N(0, 1) embedding
//! (skip when tied), output TN(dim^-0.5, +-3 dim^-0.5), norms ones; and
//! placements: dp_shard Shard(0) everywhere; tp colwise Shard(0) for
//! wq/wk/wv/w1/w3, rowwise Shard(1) for wo/w2, Shard(0) for the embedding and
//! output, Replicate for norms; ep Replicate.
Decoder::Config llama3_config(Llama3Args const& args);

//! The registry entry.
Family llama3_family();

}  // namespace titan
