// MPI-IO transfer of model tensors to and from safetensors files (design
// §10): every rank moves only its own local box, piece by piece
// (stored_piece.hpp), through bounded host staging buffers, with collective
// reads/writes on subarray (or, for permuted rows, indexed) file views.
// No toml++ here.
#pragma once

#include "titan/checkpoint/checkpoint_layout.hpp"
#include "titan/checkpoint/safetensors_format.hpp"
#include "titan/modules/buffer.hpp"
#include "titan/modules/parameter.hpp"

#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace titan {

//! Default size of the host staging buffer of each rank.
constexpr std::uint64_t default_checkpoint_buffer_bytes = std::uint64_t(64) << 20;

//! A model tensor (a parameter, or a buffer) and the layouts it may be
//! stored in (layouts[0] is the one saved; none: not stored).
struct CheckpointTensor {
  ParameterPtr param;   // exactly one of param and buffer is set
  BufferPtr buffer;     // float32, replicated: rank 0 writes it, every rank reads it
  std::vector<PieceLayout> layouts;

  std::string const& fqn() const;
  ModelTensorInfo info() const;
  //! This rank's box (global offset and extent).
  Box box() const;
  //! True when this rank writes its box (the primary replica of a parameter; rank 0 for a buffer).
  bool writer(int rank) const;
  DType dtype() const;
};

//! Collective over `comm`. Writes `files` (planned by plan_checkpoint_files
//! from save_tensors(tensors)) into directory `dir`: rank 0 writes each
//! header, every rank writes the pieces of its boxes (layouts[0]), then
//! MPI_File_sync and close. A failure on any rank throws CollectiveError
//! (RunError: exit 1) on every rank.
void write_checkpoint_files(MPI_Comm comm, std::string const& dir, std::vector<FileRecord> const& files,
                            std::vector<CheckpointTensor> const& tensors, std::uint64_t buffer_bytes);

//! Collective over `comm`. Fills every rank's local box of each tensor from
//! the checkpoint in `dir` as `plan` (plan_load's, on every rank) says:
//! layouts[plan.choice[k]], decoding each stored tensor's encoding and
//! converting to the tensor's dtype. CollectiveError on a failure.
void read_checkpoint_files(MPI_Comm comm, std::string const& dir, LoadPlan const& plan,
                           std::vector<CheckpointTensor> const& tensors, std::uint64_t buffer_bytes);

}  // namespace titan
