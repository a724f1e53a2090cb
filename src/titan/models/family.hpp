// A model family as the driver sees it: its deck side (name, flavors,
// [model] keys) and its model side (the module tree's config for a mesh,
// the activated-parameter rule). One folder per family under models/, one
// line per family in registry.cpp.
#pragma once

#include "titan/checkpoint/hf_adapter.hpp"
#include "titan/config/model_args.hpp"
#include "titan/core/dtype.hpp"
#include "titan/modules/model_config.hpp"
#include "titan/parallel/mesh.hpp"

#include <cstdint>
#include <memory>

namespace titan {

struct Family {
  DeckFamily deck;
  //! The root config for the deck's arguments on `mesh` (presets: init
  //! rules and placements). Throws InputError when the mesh does not suit
  //! the model (tp not dividing the heads, ep not dividing the experts...).
  std::unique_ptr<ModelConfig> (*model_config)(ModelArgs const& args, Mesh const& mesh) = nullptr;
  //! Parameters a token touches, given the total (= total for dense models;
  //! MoE: total minus the routed experts a token does not use).
  std::int64_t (*activated_params)(ModelArgs const& args, std::int64_t total) = nullptr;
  //! True when the model's root is a Decoder: the module tree runs the
  //! forward pass (--forward) and training (--train).
  bool language_model = false;
  //! Hugging Face checkpoints (--load-names / --save-names hf): the family's
  //! state-dict adapter for the deck's arguments (names, layouts,
  //! config.json; checkpoint/hf_adapter.hpp); null where none is defined.
  std::unique_ptr<HfAdapter> (*hf_adapter)(ModelArgs const& args) = nullptr;
};

}  // namespace titan
