// The input deck: read and checked in one step (what the user wrote), with
// command-line --set overrides merged in first. Derived values are computed
// later, when the model config is made (models/).
#pragma once

#include "titan/checkpoint/checkpoint_settings.hpp"
#include "titan/config/debug_settings.hpp"
#include "titan/core/dtype.hpp"
#include "titan/models/llama3.hpp"
#include "titan/modules/overrides.hpp"
#include "titan/parallel/mesh.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace titan {

struct RunSettings {
  std::uint64_t seed = 0;
  DType dtype = DType::float32;
  int repeat = 1;  // timed repetitions of init_states (after one warm-up when > 1)
  bool verify_layout = false;  // as --verify-layout (either turns the check on)
};

struct Deck {
  std::string path;
  RunSettings run;
  MeshRequest mesh;
  std::string family = "llama3";
  std::string flavor = "debugmodel";
  Llama3Args llama3;  // flavor preset with the deck's [model] overrides applied
  ParamOverrides overrides;
  DebugSettings debug;  // [debug]: fault injection and memory guard test switches
  CheckpointSettings checkpoint;  // [checkpoint]: save/load directories, names, file size limit
};

//! Reads `path` (every rank does, and reaches the same verdict), then applies
//! each `--set key=value` (TOML syntax; a bare word is taken as a string).
//! Throws InputError with "file:line:col: [table] ..." messages.
Deck read_deck(std::string const& path, std::vector<std::string> const& sets);
//! The same for a deck given as text; `path` names it in messages.
Deck read_deck_text(std::string const& text, std::string const& path, std::vector<std::string> const& sets);

//! The fully resolved deck as TOML (defaults included), with derived values
//! as comments: what --print-config shows.
std::string resolved_deck_toml(Deck const& deck);

//! The families and their flavors, for messages and --help.
std::vector<std::string> family_names();

}  // namespace titan
