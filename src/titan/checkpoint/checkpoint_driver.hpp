// The driver's side of checkpoints (docs/checkpoint.md): which tensors are
// stored under which names, the crash-safe save (temporary directory, MPI-IO
// writes, index, fsync, rename) and the load (rank 0 validates, everyone
// reads its own boxes). Collective over the communicator; errors arrive as
// CollectiveError on every rank. No toml++ here.
#pragma once

#include "titan/checkpoint/checkpoint_fingerprints.hpp"
#include "titan/checkpoint/checkpoint_fs.hpp"
#include "titan/checkpoint/checkpoint_inputs.hpp"
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
//! The stored tensor names of t's first layout, comma-separated (for messages).
std::string stored_names(CheckpointTensor const& t);
//! A sharded tensor stored whole under its FQN (an optimizer state).
CheckpointTensor whole_checkpoint_tensor(ShardedTensorPtr tensor);

class CheckpointSaver {
 public:
  CheckpointSaver() = default;
  ~CheckpointSaver();
  CheckpointSaver(CheckpointSaver const&) = delete;
  CheckpointSaver& operator=(CheckpointSaver const&) = delete;

  //! Collective. Rank 0 refuses an existing `dir` (unless overwrite, and
  //! then anything but a titan_app checkpoint that none of `inputs` is in:
  //! checkpoint_overwrite.hpp) or an unwritable parent and creates the
  //! temporary directory; every rank then removes it on SIGINT/SIGTERM/SIGHUP
  //! until the save is committed.
  void prepare(MPI_Comm comm, std::string const& dir, bool overwrite, std::vector<NamedPath> const& inputs = {});
  //! Collective. Refuses when the destination has less free space than `bytes`.
  void check_space(MPI_Comm comm, std::uint64_t bytes);
  //! Collective. Writes the checkpoint (files "<stem>-0000i-of-0000N.safetensors"
  //! and "<stem>.safetensors.index.json"), and `extra_files` (name, text)
  //! into the temporary directory, fsyncs, renames it into place; then
  //! measures the sequential write reference (min(sample_bytes, bytes); 0 =
  //! no). The save is complete before the reference runs: a failure of the
  //! reference is a warning on stderr, and the report has no reference.
  //! `fingerprints` (the model's, and each tensor's parallel to the first
  //! tensors: the parameters; keyed by the tensor's FQN) go into the index's metadata
  //! (add_fingerprints_to_index), for --load to check.
  CheckpointReport save(MPI_Comm comm, std::vector<CheckpointTensor> const& tensors, Metadata const& metadata,
                        std::uint64_t max_file_bytes, std::uint64_t buffer_bytes,
                        std::vector<std::pair<std::string, std::string>> const& extra_files,
                        std::uint64_t sample_bytes, std::uint64_t model_fingerprint,
                        std::vector<std::uint64_t> const& fingerprints, std::string const& stem = "model");
  //! Collective, before save(): writes a checkpoint of `tensors` (its
  //! shards, and its index with the fingerprints) into the subdirectory
  //! `subdir` of the temporary directory, which save() then commits with the
  //! rest (a training checkpoint's optimizer/). Returns its report.
  CheckpointReport write_part(MPI_Comm comm, std::string const& subdir, std::vector<CheckpointTensor> const& tensors,
                              Metadata const& metadata, std::uint64_t max_file_bytes, std::uint64_t buffer_bytes,
                              std::uint64_t fingerprint, std::vector<std::uint64_t> const& fingerprints);
  std::string const& dir() const { return _dir; }

 private:
  CheckpointStaging _staging;  // rank 0's; removes the temporary unless committed
  std::string _dir, _tmp;
  int _signal_slot = -1;  // the other ranks' removal of the temporary on a signal
};

//! Collective. Rank 0 reads and checks the index and every header (and,
//! with an HF `adapter`, DIR/config.json against the adapter's config for
//! `dtype`: the first differing field is refused), matches them against
//! `tensors` (names, shapes, dtypes, encodings: plan_load) and broadcasts
//! the plan; every rank then reads its own boxes. `metadata` receives the
//! checkpoint's __metadata__ (of its first file).
//! `identity` (the run's family, flavor and names) must match a titan_app
//! checkpoint's metadata (check_checkpoint_identity) before the tensors are
//! matched. `on_slab`: read_checkpoint_files'.
CheckpointReport load_checkpoint(MPI_Comm comm, std::string const& dir, std::vector<CheckpointTensor> const& tensors,
                                 HfAdapter const* adapter, DType dtype, bool convert_dtype, std::uint64_t buffer_bytes,
                                 Metadata* metadata, CheckpointIdentity const& identity, SlabHook const& on_slab = {});

//! Collective, after a load and the fingerprint (issue 19): the loaded
//! values must reproduce what the checkpoint says it holds (its model
//! fingerprint, and each tensor's where the index lists them, keyed by FQN):
//! CollectiveError (bad input, exit 2) naming the first differing tensor
//! otherwise. Skipped when the checkpoint's dtype is not `run_dtype` (a
//! conversion changes values). `stem`: the index file's ("model").
void check_loaded_checkpoint(MPI_Comm comm, std::string const& dir, Metadata const& metadata,
                             std::vector<CheckpointTensor> const& tensors, std::vector<std::uint64_t> const& fingerprints,
                             std::uint64_t model_fingerprint, std::string const& run_dtype,
                             std::string const& stem = "model");

}  // namespace titan
