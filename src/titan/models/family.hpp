// From a checked deck to the model's Decoder config, for any family.
#pragma once

#include "titan/config/deck.hpp"
#include "titan/modules/decoder.hpp"

namespace titan {

//! The family preset with the deck's hyperparameters. Throws InputError when
//! the mesh does not suit the model (tp must divide the head counts; ep > 1
//! needs routed experts).
Decoder::Config make_model_config(Deck const& deck, Mesh const& mesh);

//! Parameters a token touches (= total for dense families).
std::int64_t activated_params(Deck const& deck, std::int64_t total);

}  // namespace titan
