#include "titan/config/param_overrides.hpp"

#include "titan/core/errors.hpp"

#include <utility>
#include <vector>

namespace titan {

namespace {

// Glob match in O(|pattern| * |fqn|) time: a row of "the pattern so far
// matches the first j characters" per pattern element, so a pattern full of
// stars cannot take exponential time (as plain backtracking would).
bool match_from(std::string const& pattern, std::string const& fqn) {
  std::size_t const n = fqn.size();
  std::vector<char> cur(n + 1, 0), next(n + 1, 0);
  cur[0] = 1;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    bool const star = pattern[i] == '*';
    bool const double_star = star && i + 1 < pattern.size() && pattern[i + 1] == '*';
    for (std::size_t j = 0; j <= n; ++j) {
      if (double_star) next[j] = cur[j] || (j > 0 && next[j - 1]);                     // any run
      else if (star) next[j] = cur[j] || (j > 0 && next[j - 1] && fqn[j - 1] != '.');  // a run without '.'
      else if (pattern[i] == '?') next[j] = j > 0 && cur[j - 1] && fqn[j - 1] != '.';
      else next[j] = j > 0 && cur[j - 1] && fqn[j - 1] == pattern[i];
    }
    if (double_star) ++i;
    std::swap(cur, next);
  }
  return cur[n] != 0;
}

bool is_pattern(std::string const& p) { return p.find_first_of("*?") != std::string::npos; }

// Index of the override that applies to `fqn`, or -1. Exact names win over
// patterns; two patterns for one FQN are ambiguous.
template <class Override>
int pick(std::vector<Override>& list, std::string const& fqn) {
  int exact = -1, pattern = -1;
  for (int i = 0; i < static_cast<int>(list.size()); ++i) {
    auto const& o = list[i];
    if (!is_pattern(o.pattern)) {
      if (o.pattern == fqn) exact = i;
    } else if (fqn_match(o.pattern, fqn)) {
      if (pattern >= 0)
        throw InputError(list[i].where + " patterns '" + list[pattern].pattern + "' and '" + o.pattern +
                         "' both match " + fqn + "; make them disjoint or name the parameter exactly");
      pattern = i;
    }
  }
  int const chosen = exact >= 0 ? exact : pattern;
  if (chosen >= 0) ++list[chosen].matches;
  if (exact >= 0 && pattern >= 0) ++list[pattern].matches;  // shadowed, but it did match
  return chosen;
}

}  // namespace

bool fqn_match(std::string const& pattern, std::string const& fqn) {
  return match_from(pattern, fqn);
}

std::optional<InitSpec> ParamOverrides::init_for(std::string const& fqn) {
  int const i = pick(init, fqn);
  if (i < 0) return std::nullopt;
  return init[i].spec;
}

Placements ParamOverrides::placements_for(std::string const& fqn, Placements defaults) {
  int const i = pick(sharding, fqn);
  if (i < 0) return defaults;
  for (int m = 0; m < num_mesh_dims; ++m)
    if (sharding[i].placements[m]) defaults[m] = *sharding[i].placements[m];
  return defaults;
}

void ParamOverrides::expect_all_matched() const {
  std::string unmatched;
  for (auto const& o : init)
    if (o.matches == 0) unmatched += "\n  " + o.where + " '" + o.pattern + "' matches no parameter";
  for (auto const& o : sharding)
    if (o.matches == 0)
      unmatched += "\n  " + o.where + " '" + o.pattern + "' matches no parameter";
  if (!unmatched.empty())
    throw InputError("deck overrides that match no parameter (FQNs look like 'layers.0.attention.wq.weight'):" +
                     unmatched);
}

}  // namespace titan
