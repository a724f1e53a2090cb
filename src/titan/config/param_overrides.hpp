// Deck overrides of initializers and placements, by FQN pattern. Applied
// when a module registers a parameter, so module code never changes.
#pragma once

#include "titan/init/init_spec.hpp"
#include "titan/parallel/placement.hpp"

#include <array>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace titan {

//! Glob match of an FQN: '*' matches any run of characters other than '.',
//! '**' matches any run including '.', '?' one character other than '.'.
bool fqn_match(std::string const& pattern, std::string const& fqn);

struct InitOverride {
  std::string pattern;
  InitSpec spec;
  std::string where;  // deck position for messages
  int matches = 0;
};

//! Placements given per mesh dimension; dimensions left unset keep the default.
struct ShardingOverride {
  std::string pattern;
  std::array<std::optional<Placement>, num_mesh_dims> placements;
  std::string where;
  int matches = 0;
};

class ParamOverrides {
 public:
  std::vector<InitOverride> init;
  std::vector<ShardingOverride> sharding;

  //! The deck's initializer for `fqn`, if any pattern matches. An exact FQN
  //! beats a pattern; two patterns matching the same FQN is an error.
  std::optional<InitSpec> init_for(std::string const& fqn);
  //! `defaults` with the dimensions the deck sets for `fqn` replaced.
  Placements placements_for(std::string const& fqn, Placements defaults);
  //! Throws InputError naming every pattern that matched no parameter.
  void expect_all_matched() const;

  //! Exact names and patterns of one list, indexed once (an exact FQN is a
  //! hash lookup, so building a model is linear in its parameters).
  //! Patterns are grouped by their literal prefix (up to the first
  //! wildcard): an FQN is matched only against the patterns whose prefix it
  //! starts with, one hash lookup per prefix length, so many patterns over
  //! many layers cost patterns + parameters, not their product (issue 19).
  struct Index {
    std::size_t indexed = static_cast<std::size_t>(-1);  // list size when built
    std::unordered_map<std::string, int> exact;          // name -> last index
    std::unordered_map<std::string, std::vector<int>> by_prefix;  // literal prefix -> patterns
    std::vector<std::size_t> prefix_lengths;             // the distinct prefix lengths, ascending
  };

 private:
  Index _init_index, _sharding_index;
};

}  // namespace titan
