// MPI-IO transfer of parameter shards to and from safetensors files
// (design §10): every rank moves only its own local box, through a bounded
// host staging buffer, with collective reads/writes on subarray (or, for
// permuted rows, indexed) file views. No toml++ here.
#pragma once

#include "titan/checkpoint/checkpoint_names.hpp"
#include "titan/checkpoint/safetensors_format.hpp"
#include "titan/modules/parameter.hpp"

#include <mpi.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace titan {

//! Default size of the host staging buffer of each rank.
constexpr std::uint64_t default_checkpoint_buffer_bytes = std::uint64_t(64) << 20;

//! A sharded tensor (a parameter, an optimizer state) and how it is stored.
struct CheckpointTensor {
  ShardedTensorPtr param;  // a parameter, or any sharded tensor (optimizer states)
  StoredName stored;
};

//! Collective over `comm`. Writes `files` (planned by plan_checkpoint_files
//! from `tensors`, in the same order) into directory `dir`: rank 0 writes
//! each header, every rank writes the elements of its primary-replica boxes,
//! then MPI_File_sync and close; then every file is checked as
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
//! `locations` (match_checkpoint's, broadcast to every rank) in the files
//! `file_names` under `dir`, converting the dtype where the stored one
//! differs from the parameter's. CollectiveError on a failure.
//! `on_slab(param, values, local_begin, count)`, if set, sees each slab of
//! values (the parameter's dtype, host memory) as it is stored (issue 20:
//! the statistics are taken from what is read, in the same pass).
using SlabHook = std::function<void(ShardedTensor const&, void const*, std::int64_t, std::int64_t)>;
void read_checkpoint_files(MPI_Comm comm, std::string const& dir, std::vector<std::string> const& file_names,
                           std::vector<CheckpointTensor> const& tensors, std::vector<TensorLocation> const& locations,
                           std::uint64_t buffer_bytes, SlabHook const& on_slab = {});

}  // namespace titan
