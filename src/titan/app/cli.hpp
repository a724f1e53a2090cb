// Command-line options of titan_app.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace titan {

struct Options {
  std::string deck_path;
  std::vector<std::string> sets;  // --set key=value, in order
  bool dry_run = false;
  int plan_ranks = 0;             // --ranks N (dry run only); 0 = the world size
  std::int64_t memory_per_rank = 0;  // --memory-per-rank BYTES (dry run only): judge the training plan against it; 0 = the node's
  std::string report_json;        // --report-json FILE
  bool print_config = false;
  bool help = false;
  bool version = false;
  bool profile = false;           // --profile: whole init-time profile in the summary
  bool quiet = false;             // no progress lines
  bool force = false;             // --force: run even when the memory guard refuses
  bool verify_layout = false;     // --verify-layout: check that the local shards tile every tensor
  bool verify = false;            // --verify: re-read the parameters and check the init pass's statistics
  bool forward = false;           // --forward: run the model on a batch after init (docs/forward.md)
  std::string dump_logits;        // --dump-logits FILE.safetensors (implies --forward)
  bool train = false;             // --train: optimizer steps after init or load (docs/training.md)
  std::string save_dir;           // --save DIR: write a checkpoint after init (overrides [checkpoint] save)
  std::string load_dir;           // --load DIR: fill the parameters from a checkpoint (overrides [checkpoint] load)
  bool overwrite = false;         // --overwrite: replace an existing --save directory
  std::string checkpoint_names;   // --checkpoint-names titan|hf: both sides ("" = the deck's)
  std::string load_names;         // --load-names titan|hf: names --load reads ("" = --checkpoint-names, the deck's)
  std::string save_names;         // --save-names titan|hf: names --save writes ("" = --checkpoint-names, the deck's)
  bool load_convert_dtype = false;  // --load-convert-dtype: convert bf16 <-> fp32 on load
};

//! Parses argv; throws InputError for an unknown flag, a missing value or
//! a missing deck.
Options parse_command_line(int argc, char** argv);
std::string usage_text();

}  // namespace titan
