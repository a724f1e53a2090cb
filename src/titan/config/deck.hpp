// The input deck: read and checked in one step (what the user wrote), with
// command-line --set overrides merged in first. Host-only: no Kokkos, no
// family (the families come in as DeckFamily entries from models/).
#pragma once

#include "titan/checkpoint/checkpoint_settings.hpp"
#include "titan/config/debug_settings.hpp"
#include "titan/config/model_args.hpp"
#include "titan/config/param_overrides.hpp"
#include "titan/core/dtype.hpp"
#include "titan/forward/forward_settings.hpp"
#include "titan/parallel/mesh.hpp"
#include "titan/parallel/mpi_settings.hpp"
#include "titan/train/train_settings.hpp"

#include <cstdint>
#include <memory>
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
  std::string family;  // default: the first family of the catalog
  std::string flavor;  // default: the family's first flavor
  std::shared_ptr<ModelArgs const> model;  // the flavor preset with the deck's [model] keys applied
  ParamOverrides overrides;
  ForwardSettings forward;  // [forward]: the forward pass (run with --forward or enabled = true)
  TrainSettings train;      // [train]: training steps (run with --train or steps > 0)
  DebugSettings debug;  // [debug]: fault injection and memory guard test switches
  CheckpointSettings checkpoint;  // [checkpoint]: save/load directories, names, file size limit
  MpiSettings mpi;  // [mpi]: device buffers handed to MPI or staged (parallel/mpi_buffers.hpp)

  //! The [model] arguments as the family's own type (the family knows it).
  template <class Args>
  Args const& model_args() const {
    return dynamic_cast<Args const&>(*model);
  }
};

//! Reads `path` (every rank does, and reaches the same verdict), then applies
//! each `--set key=value` (TOML syntax; a bare word is taken as a string).
//! `families` is the catalog of model families (models/registry.hpp).
//! Throws InputError with "file:line:col: [table] ..." messages.
Deck read_deck(std::string const& path, std::vector<std::string> const& sets, std::vector<DeckFamily> const& families);
//! The same for a deck given as text; `path` names it in messages.
Deck read_deck_text(std::string const& text, std::string const& path, std::vector<std::string> const& sets,
                    std::vector<DeckFamily> const& families);

//! The fully resolved deck as TOML (defaults included), with derived values
//! as comments: what --print-config shows.
std::string resolved_deck_toml(Deck const& deck);

}  // namespace titan
