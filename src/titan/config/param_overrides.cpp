#include "titan/config/param_overrides.hpp"

#include "titan/core/echo.hpp"
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
int pick(std::vector<Override>& list, ParamOverrides::Index& index, std::string const& fqn) {
  if (index.indexed != list.size()) {
    index = ParamOverrides::Index{};
    for (int i = 0; i < static_cast<int>(list.size()); ++i) {
      if (is_pattern(list[i].pattern)) index.patterns.push_back(i);
      else index.exact[list[i].pattern] = i;
    }
    index.indexed = list.size();
  }
  int exact = -1, pattern = -1;
  auto const found = index.exact.find(fqn);
  if (found != index.exact.end()) exact = found->second;
  for (int const i : index.patterns) {
    auto const& o = list[i];
    if (fqn_match(o.pattern, fqn)) {
      if (pattern >= 0)
        throw InputError(list[i].where + " patterns '" + echo(list[pattern].pattern) + "' and '" + echo(o.pattern) +
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
  int const i = pick(init, _init_index, fqn);
  if (i < 0) return std::nullopt;
  return init[i].spec;
}

Placements ParamOverrides::placements_for(std::string const& fqn, Placements defaults) {
  int const i = pick(sharding, _sharding_index, fqn);
  if (i < 0) return defaults;
  for (int m = 0; m < num_mesh_dims; ++m)
    if (sharding[i].placements[m]) defaults[m] = *sharding[i].placements[m];
  return defaults;
}

void ParamOverrides::expect_all_matched() const {
  // At most max_listed keys are listed, then "... and N more" (issue 12).
  constexpr int max_listed = 5;
  std::string unmatched;
  int count = 0;
  auto note = [&](std::string const& where, std::string const& pattern) {
    if (count++ < max_listed) unmatched += "\n  " + where + " '" + echo(pattern) + "' matches no parameter";
  };
  for (auto const& o : init)
    if (o.matches == 0) note(o.where, o.pattern);
  for (auto const& o : sharding)
    if (o.matches == 0) note(o.where, o.pattern);
  if (count > max_listed) unmatched += "\n  \u2026 and " + std::to_string(count - max_listed) + " more";
  if (!unmatched.empty())
    throw InputError("deck overrides that match no parameter (FQNs look like 'layers.0.attention.wq.weight'):" +
                     unmatched);
}

}  // namespace titan
