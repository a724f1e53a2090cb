// What `--save DIR --overwrite` may replace (issue 19, docs/checkpoint.md
// "--overwrite"): only a titan_app checkpoint, recognised by its files, and
// never a directory the run or its user stands in. Host-only; rank 0 calls
// this before any heavy work (no MPI here).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace titan {

//! A path the run reads, and how to name it in a message
//! (e.g. {"the input deck", "deck.toml"}, {"--load", "ckpt"}).
struct NamedPath {
  std::string what;
  std::string path;
};

//! Throws InputError unless the existing directory `dir` may be replaced by
//! a new checkpoint. Refused:
//!  - a symbolic link, or anything but a directory;
//!  - `/`, the current directory or one of its parents, a home directory
//!    (of any user in the password database, or $HOME);
//!  - a directory that is, or contains, one of `inputs` (compared by device
//!    and inode after resolving links, so other names for it are caught);
//!  - a directory holding anything but the files of one titan_app checkpoint:
//!    model.safetensors.index.json, the .safetensors files its weight_map
//!    names (regular files, each with a header whose __metadata__ says
//!    "program": "titan_app"), config.json, and a training checkpoint's
//!    optimizer/ directory holding the same (an index and its shards) alone.
//! Returns the names of those files: the only ones a later replacement
//! deletes. `shown` is the directory as the user wrote it (for messages).
std::vector<std::string> check_replaceable_checkpoint(std::string const& dir, std::string const& shown,
                                                      std::vector<NamedPath> const& inputs);

}  // namespace titan
