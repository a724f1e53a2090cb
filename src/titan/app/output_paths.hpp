// Outputs never replace the run's own inputs, nor each other (issue 19,
// class 6): files are compared by identity (device and inode, links
// resolved; a path that does not exist yet by its directory's identity and
// its name), before any heavy work. Host-only; rank 0 calls it.
#pragma once

#include <string>

namespace titan {

struct RunPaths {
  // Inputs ("" = none).
  std::string deck, tokens_file, train_tokens_file, load_dir;
  // Outputs ("" = none).
  std::string report_json, dump_logits, save_dir, dump_gradients;
};

//! Throws InputError (naming both paths) when --report-json,
//! --dump-logits or [train] dump_gradients is the deck, a tokens file ([forward] or [train]), a file of the --load
//! checkpoint or inside it, inside the --save directory, or the other
//! output; or when --save names the same path as either of them.
void check_output_paths(RunPaths const& paths);

}  // namespace titan
