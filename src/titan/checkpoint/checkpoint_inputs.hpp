// The files a --load reads, checked to be regular files before anything
// opens them (issue 19, class 11): a FIFO as the index or a shard would
// block the reader (rank 0's read, every rank's MPI_File_open) forever; a
// directory or a device is no checkpoint file. Host-only; rank 0 calls it.
#pragma once

#include <string>

namespace titan {

//! Throws InputError naming the file when DIR/model.safetensors.index.json,
//! or a file its weight_map names, exists but is not a regular file. Missing
//! files and malformed indexes are left to the checkpoint reader's messages.
void check_checkpoint_inputs(std::string const& dir);

}  // namespace titan
