// The files a --load reads, checked to be regular files before anything
// opens them (issue 19, class 11): a FIFO as the index or a shard would
// block the reader (rank 0's read, every rank's MPI_File_open) forever; a
// directory or a device is no checkpoint file. Host-only; rank 0 calls it.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace titan {

//! What the run builds, for the comparison with a checkpoint's metadata.
struct CheckpointIdentity {
  std::string family, flavor;  //!< the deck's [model] family and flavor
  std::string names;           //!< "titan" or "hf": the names this run reads
};

//! Throws InputError naming the first field of a titan_app checkpoint's
//! __metadata__ (its first file's) that differs from the run: family, then
//! flavor, then the names it was saved with (issue 19, class 12), e.g. a
//! Llama3 checkpoint loaded by a Llama4 deck. A checkpoint written by
//! another program (no "program": "titan_app") is not checked here; its
//! tensors' names and shapes still are.
void check_checkpoint_identity(std::vector<std::pair<std::string, std::string>> const& metadata,
                               CheckpointIdentity const& run, std::string const& dir);

//! Throws InputError naming the file when DIR/model.safetensors.index.json,
//! or a file its weight_map names, exists but is not a regular file. Missing
//! files and malformed indexes are left to the checkpoint reader's messages.
void check_checkpoint_inputs(std::string const& dir);

}  // namespace titan
