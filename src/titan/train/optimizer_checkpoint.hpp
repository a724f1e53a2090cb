// The optimizer state of a training run as a checkpoint (docs/training.md):
// DIR/optimizer/ in the model's format (sharded safetensors and an index
// with fingerprints), titan names always: <FQN>.exp_avg, <FQN>.exp_avg_sq
// (float32, the parameter's shape and boxes), <FQN>.master for the float32
// master of a bfloat16 parameter, and each MoE layer's load-balancing
// expert_bias under its own FQN; the step count in the metadata.
#pragma once

#include "titan/checkpoint/checkpoint_driver.hpp"
#include "titan/modules/moe.hpp"
#include "titan/train/adamw.hpp"

#include <mpi.h>

#include <string>
#include <vector>

namespace titan {

//! The subdirectory of a training checkpoint that holds the optimizer state.
constexpr char const* optimizer_subdir = "optimizer";

class OptimizerCheckpoint {
 public:
  OptimizerCheckpoint(AdamW& optimizer, std::vector<MoE*> const& moes, Mesh const& mesh, int rank);

  //! Collective: writes DIR/optimizer/ into the saver's temporary directory
  //! (committed with the model by saver.save()).
  CheckpointReport save(MPI_Comm comm, CheckpointSaver& saver, Metadata metadata, std::uint64_t max_file_bytes,
                        std::uint64_t buffer_bytes);
  //! Collective: true when `dir` holds an optimizer/ state (rank 0 looks).
  static bool present(MPI_Comm comm, std::string const& dir);
  //! Collective: reads DIR/optimizer/ into the optimizer (moments, masters,
  //! then the bfloat16 parameters rounded from the masters), the expert
  //! biases and the step count; checks the values against the fingerprints
  //! the checkpoint carries. InputError for a missing or mismatched state.
  //! `identity`: the run's family and flavor (the names are titan's: the
  //! optimizer state is always saved with titan names).
  CheckpointReport load(MPI_Comm comm, std::string const& dir, std::uint64_t buffer_bytes,
                        CheckpointIdentity const& identity);

 private:
  AdamW& _optimizer;
  std::vector<MoE*> _moes;
  std::vector<CheckpointTensor> _tensors;
  std::vector<ShardedTensorPtr> _bias_copies;  // one per MoE layer with an expert_bias, replicated float32 [E]
};

//! Collective: each tensor's layout-invariant fingerprint (its primary
//! replicas' local statistics summed over the ranks).
std::vector<std::uint64_t> tensor_fingerprints(std::vector<ShardedTensorPtr> const& tensors, MPI_Comm comm);

}  // namespace titan
