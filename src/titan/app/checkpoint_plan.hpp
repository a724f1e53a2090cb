// The checkpoint settings of one run: the command line over the deck's
// [checkpoint] table (docs/checkpoint.md), the names each side uses and the
// family's Hugging Face adapter when one side uses HF names.
#pragma once

#include "titan/app/cli.hpp"
#include "titan/checkpoint/checkpoint_layout.hpp"
#include "titan/checkpoint/checkpoint_settings.hpp"
#include "titan/config/deck.hpp"

#include <memory>
#include <string>

namespace titan {

struct CheckpointPlan {
  std::string save, load;
  bool overwrite = false, convert = false;
  CheckpointNames load_names = CheckpointNames::titan, save_names = CheckpointNames::titan;
  CheckpointSettings deck;
  std::shared_ptr<HfAdapter> adapter;  // the family's, when a side uses HF names

  //! The adapter of each side (null: titan names).
  HfAdapter const* load_adapter() const { return load_names == CheckpointNames::hf ? adapter.get() : nullptr; }
  HfAdapter const* save_adapter() const { return save_names == CheckpointNames::hf ? adapter.get() : nullptr; }
  //! config.json of a save with HF names.
  std::string save_config(DType dtype) const { return hf_config_text(adapter->config(dtype)); }
};

//! Resolves the settings. Names of each side: --load-names / --save-names,
//! else --checkpoint-names, else the deck's load_names / save_names, else its
//! names. Throws InputError for --save/--load with --dry-run, --overwrite
//! without --save, --load-convert-dtype without --load, and HF names for a
//! family without an adapter.
CheckpointPlan checkpoint_plan(Options const& opt, Deck const& deck);

}  // namespace titan
