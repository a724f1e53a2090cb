// The forward pass of a language model on its sharded parameters (design
// §11): the model's module tree computes the logits of this rank's
// sequences (the batch split over the ranks, data parallel), each block
// gathered just before it computes; loss, fingerprint and (optionally) the
// logits reduced to rank 0.
#pragma once

#include "titan/forward/tokens.hpp"
#include "titan/modules/language_model.hpp"
#include "titan/modules/module.hpp"
#include "titan/parallel/mesh_comm.hpp"

#include <mpi.h>

#include <functional>
#include <array>
#include <vector>

namespace titan {

struct ForwardOutcome {
  double loss = 0;                 // mean over B*(T-1) predictions (every rank)
  double seconds = 0;              // this rank: embedding to logits, fenced
  double flops = 0;                // this rank's products
  std::uint64_t fingerprint = 0;   // all ranks' logits (every rank)
  std::int64_t planned_bytes = 0;  // this rank: shards + gather scratch + logits
  std::vector<float> logits;       // [B, T, V] on rank 0 when asked for
  //! This rank's communication by kind (all_gather, reduce_scatter,
  //! all_reduce, all_to_all): bytes sent, seconds; and the model's bytes.
  std::array<double, 4> comm_bytes{}, comm_seconds{}, comm_model_bytes{};
};

//! This rank's sequences of a batch of B: [first, first + count) (torch.chunk's rule).
struct SequenceRange {
  std::int64_t first = 0, count = 0;
};
SequenceRange my_sequences(std::int64_t batch, MPI_Comm comm);
//! The data-parallel ranks (dp_shard x ep) of this rank's tp coordinate:
//! the batch is split over them (the tp ranks share their sequences).
MPI_Comm data_parallel_comm(MeshComm const& mc);

//! Collective over `comm` (its size = mesh.world_size()). Sequence b runs on
//! the rank r whose chunk_range(B, world, r) holds b (contiguous blocks).
//! Every step that can fail on one rank (an allocation, packing a gather, a
//! block's kernels, non-finite values) ends inside collective(), so a failure
//! ends the pass on every rank with one CollectiveError. Non-finite values
//! after the embedding, after a layer or in the logits are a RunError naming
//! where they appeared.
//! `step_done` (may be empty) is called after the embedding, after each
//! layer and after the output head (layers + 2 steps a pass), for progress.
//! `mpi_device_pointers`: the run's resolved [mpi] device_buffers (a device
//! build's collectives take device pointers; parallel/mpi_buffers.hpp).
ForwardOutcome run_forward(Module& model, Mesh const& mesh, MPI_Comm comm, bool mpi_device_pointers,
                           ForwardTokens const& tokens, bool gather_logits, std::function<void()> const& step_done = {});

//! The model's root as a language model (InputError naming its type when it is not one).
LanguageModel& as_language_model(Module& model);

}  // namespace titan
