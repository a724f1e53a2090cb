// The forward pass of a decoder on its sharded parameters (design §11):
// per block, gather the block's full parameters (fp32) into reused scratch,
// compute, drop; the batch split over the ranks (data parallel); loss,
// fingerprint and (optionally) the logits reduced to rank 0.
#pragma once

#include "titan/forward/decoder_spec.hpp"
#include "titan/forward/tokens.hpp"
#include "titan/modules/module.hpp"

#include <mpi.h>

#include <functional>
#include <vector>

namespace titan {

struct ForwardOutcome {
  double loss = 0;                 // mean over B*(T-1) predictions (every rank)
  double seconds = 0;              // this rank: embedding to logits, fenced
  double flops = 0;                // this rank's products
  std::uint64_t fingerprint = 0;   // all ranks' logits (every rank)
  std::int64_t planned_bytes = 0;  // this rank: shards + scratch + activations + logits
  std::vector<float> logits;       // [B, T, V] on rank 0 when asked for
};

//! Collective over `comm` (its size = mesh.world_size()). Sequence b runs on
//! the rank r whose chunk_range(B, world, r) holds b (contiguous blocks).
//! Everything is allocated up front, as plan_forward_memory says
//! (forward_memory.hpp); every step that can fail on one rank (allocation,
//! packing a gather, a block's kernels, non-finite values) ends inside
//! collective(), so a failure ends the pass on every rank with one
//! CollectiveError. Non-finite values after the embedding, after a layer or
//! in the logits are a RunError naming where they appeared.
//! `step_done` (may be empty) is called after the embedding, after each
//! layer and after the output head (layers + 2 steps a pass), for progress.
ForwardOutcome run_forward(Module const& model, DecoderSpec const& spec, Mesh const& mesh, MPI_Comm comm,
                           ForwardTokens const& tokens, bool gather_logits,
                           std::function<void()> const& step_done = {});

//! Throws InputError when a weight named by the spec is missing or has
//! another shape than the spec implies (a spec/model mismatch).
void check_spec_against_model(Module const& model, DecoderSpec const& spec);

//! The FQNs and shapes of the weights one layer reads, in gather order.
std::vector<std::pair<std::string, Shape>> forward_layer_weights(DecoderSpec const& s, LayerSpec const& l);

}  // namespace titan
