// The driver's side of checkpoints (docs/checkpoint.md): which tensors are
// stored under which names, the crash-safe save (temporary directory, MPI-IO
// writes, index, fsync, rename) and the load (rank 0 validates, everyone
// reads its own boxes). Collective over the communicator; errors arrive as
// CollectiveError on every rank. No toml++ here.
#pragma once

#include "titan/checkpoint/checkpoint_fs.hpp"
#include "titan/checkpoint/checkpoint_io.hpp"
#include "titan/report/report.hpp"

#include <mpi.h>

#include <string>
#include <utility>
#include <vector>

namespace titan {

//! The model's tensors as a checkpoint stores them: every parameter once
//! (a tied one under its primary FQN), in registration order, then the
//! buffers; each with its layouts from titan's FQNs (`adapter` null: the
//! parameters whole, no buffer) or the family's HF adapter. Throws
//! InputError when a parameter has no name.
std::vector<CheckpointTensor> checkpoint_tensors(std::vector<ParameterPtr> const& params,
                                                 std::vector<BufferPtr> const& buffers, HfAdapter const* adapter);

class CheckpointSaver {
 public:
  //! Collective. Rank 0 refuses an existing `dir` (unless overwrite) or an
  //! unwritable parent and creates the temporary directory.
  void prepare(MPI_Comm comm, std::string const& dir, bool overwrite);
  //! Collective. Refuses when the destination has less free space than `bytes`.
  void check_space(MPI_Comm comm, std::uint64_t bytes);
  //! Collective. Writes the checkpoint (files "<stem>-0000i-of-0000N.safetensors"
  //! and "<stem>.safetensors.index.json"), and `extra_files` (name, text)
  //! into the temporary directory, fsyncs, renames it into place; then
  //! measures the sequential write reference (min(sample_bytes, bytes); 0 = no).
  CheckpointReport save(MPI_Comm comm, std::vector<CheckpointTensor> const& tensors, Metadata const& metadata,
                        std::uint64_t max_file_bytes, std::uint64_t buffer_bytes,
                        std::vector<std::pair<std::string, std::string>> const& extra_files,
                        std::uint64_t sample_bytes, std::string const& stem = "model");
  std::string const& dir() const { return _dir; }

 private:
  CheckpointStaging _staging;  // rank 0's; removes the temporary unless committed
  std::string _dir, _tmp;
};

//! Collective. Rank 0 reads and checks the index and every header (and,
//! with an HF `adapter`, DIR/config.json against the adapter's config for
//! `dtype`: the first differing field is refused), matches them against
//! `tensors` (names, shapes, dtypes, encodings: plan_load) and broadcasts
//! the plan; every rank then reads its own boxes. `metadata` receives the
//! checkpoint's __metadata__ (of its first file).
CheckpointReport load_checkpoint(MPI_Comm comm, std::string const& dir, std::vector<CheckpointTensor> const& tensors,
                                 HfAdapter const* adapter, DType dtype, bool convert_dtype, std::uint64_t buffer_bytes,
                                 Metadata* metadata);

}  // namespace titan
