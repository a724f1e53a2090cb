// "Did you mean" for unknown keys and flags: the closest known word by edit
// distance. Host-only, no TOML: the command line uses it too.
#pragma once

#include <string>
#include <vector>

namespace titan {

//! Levenshtein distance.
int edit_distance(std::string const& a, std::string const& b);
//! The candidate closest to `word`, or "" when none is close.
std::string closest_match(std::string const& word, std::vector<std::string> const& candidates);

}  // namespace titan
