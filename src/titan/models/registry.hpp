// The model families titan_app knows (one line each in registry.cpp).
#pragma once

#include "titan/models/family.hpp"

#include <string>
#include <vector>

namespace titan {

//! Every family, the default (deck model.family unset) first.
std::vector<Family> const& families();
//! The deck reader's view of them.
std::vector<DeckFamily> deck_families();
//! The family named `name` (the deck reader has checked that it exists).
Family const& find_family(std::string const& name);

}  // namespace titan
