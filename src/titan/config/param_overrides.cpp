#include "titan/config/param_overrides.hpp"

#include "titan/core/echo.hpp"
#include "titan/core/errors.hpp"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

namespace titan {

namespace {

// Glob match in O(|pattern| * |fqn|) time: a row of "the pattern so far
// matches the first j characters" per pattern element, so a pattern full of
// stars cannot take exponential time (as plain backtracking would). The two
// rows are reused between calls (no allocation per match).
bool match_from(std::string const& pattern, std::string const& fqn) {
  std::size_t const n = fqn.size();
  thread_local std::vector<char> cur, next;
  cur.assign(n + 1, 0);
  next.assign(n + 1, 0);
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

// The literal text before a pattern's first wildcard, and after its last.
std::string literal_prefix(std::string const& p) { return p.substr(0, p.find_first_of("*?")); }
std::string literal_suffix(std::string const& p) { return p.substr(p.find_last_of("*?") + 1); }
bool ends_with(std::string const& s, std::string const& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_pattern(std::string const& p) { return p.find_first_of("*?") != std::string::npos; }

// Index of the override that applies to `fqn`, or -1. Exact names win over
// patterns; two patterns for one FQN are ambiguous.
template <class Override>
int pick(std::vector<Override>& list, ParamOverrides::Index& index, std::string const& fqn) {
  if (index.indexed != list.size()) {
    index = ParamOverrides::Index{};
    std::set<std::size_t> lengths;
    for (int i = 0; i < static_cast<int>(list.size()); ++i) {
      if (!is_pattern(list[i].pattern)) {
        index.exact[list[i].pattern] = i;
        continue;
      }
      std::string prefix = literal_prefix(list[i].pattern);
      lengths.insert(prefix.size());
      index.by_prefix[std::move(prefix)].push_back(i);
    }
    index.prefix_lengths.assign(lengths.begin(), lengths.end());
    index.indexed = list.size();
  }
  int exact = -1;
  auto const found = index.exact.find(fqn);
  if (found != index.exact.end()) exact = found->second;
  // The patterns this FQN could match: those whose literal prefix it starts
  // with (and whose literal suffix it ends with), then the full match.
  std::vector<int> matched;
  for (std::size_t const len : index.prefix_lengths) {
    if (len > fqn.size()) break;
    auto const bucket = index.by_prefix.find(fqn.substr(0, len));
    if (bucket == index.by_prefix.end()) continue;
    for (int const i : bucket->second)
      if (ends_with(fqn, literal_suffix(list[i].pattern)) && fqn_match(list[i].pattern, fqn)) matched.push_back(i);
  }
  std::sort(matched.begin(), matched.end());  // the deck's order, for the message
  if (matched.size() > 1)
    throw InputError(list[matched[1]].where + " patterns '" + echo(list[matched[0]].pattern) + "' and '" +
                     echo(list[matched[1]].pattern) + "' both match " + fqn +
                     "; make them disjoint or name the parameter exactly");
  int const pattern = matched.empty() ? -1 : matched[0];
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
