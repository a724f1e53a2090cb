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
#include "titan/tensor/sharded_tensor.hpp"

#include <mpi.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace titan {

//! Default size of the host staging buffer of each rank.
constexpr std::uint64_t default_checkpoint_buffer_bytes = std::uint64_t(64) << 20;

//! A model tensor (a parameter, or a buffer), or any sharded tensor (an
//! optimizer state), and the layouts it may be stored in (layouts[0] is the
//! one saved; none: not stored).
struct CheckpointTensor {
  ShardedTensorPtr param;  // exactly one of param and buffer is set
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
//! MPI_File_sync and close; then every file is checked as
//! check_checkpoint_files does. Every MPI-IO call's status and byte count is
//! checked, but Open MPI's OMPIO reports a collective write as complete even
//! when a write(2) under it failed (no space left, a file-size limit): the
//! check of the files themselves is what catches that. A failure on any
//! rank throws CollectiveError (RunError: exit 1) on every rank.
void write_checkpoint_files(MPI_Comm comm, std::string const& dir, std::vector<FileRecord> const& files,
                            std::vector<CheckpointTensor> const& tensors, std::uint64_t buffer_bytes);

//! Collective over `comm`, for files written by write_checkpoint_files:
//! rank 0 checks each file on disk (its size, its header read back, holes:
//! lseek SEEK_HOLE); where a file has a hole, every rank reads back the
//! bytes it wrote there and compares them with its shards (a hole is a lost
//! write, unless the file system stores zero blocks as holes). CollectiveError
//! (RunError) on every rank naming the file (and tensor) otherwise.
void check_checkpoint_files(MPI_Comm comm, std::string const& dir, std::vector<FileRecord> const& files,
                            std::vector<CheckpointTensor> const& tensors, std::uint64_t buffer_bytes);

//! Collective over `comm`. Fills every rank's local box of each tensor from
//! the checkpoint in `dir` as `plan` (plan_load's, on every rank) says:
//! layouts[plan.choice[k]], decoding each stored tensor's encoding and
//! converting to the tensor's dtype. CollectiveError on a failure.
//! `on_slab(tensor, values, local_begin, count)`, if set, sees each slab of
//! a sharded tensor's values (its dtype, host memory, local elements
//! [local_begin, local_begin + count)) as it is stored: every local element
//! once (issue 20: the statistics are taken from what is read, in the same pass).
using SlabHook = std::function<void(ShardedTensor const&, void const*, std::int64_t, std::int64_t)>;
void read_checkpoint_files(MPI_Comm comm, std::string const& dir, LoadPlan const& plan,
                           std::vector<CheckpointTensor> const& tensors, std::uint64_t buffer_bytes,
                           SlabHook const& on_slab = {});

}  // namespace titan
