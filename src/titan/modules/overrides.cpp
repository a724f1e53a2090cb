#include "titan/modules/overrides.hpp"

#include "titan/core/errors.hpp"

namespace titan {

namespace {

bool match_from(char const* p, char const* s) {
  for (;;) {
    if (*p == '\0') return *s == '\0';
    if (p[0] == '*' && p[1] == '*') {
      for (char const* t = s;; ++t) {
        if (match_from(p + 2, t)) return true;
        if (*t == '\0') return false;
      }
    }
    if (*p == '*') {
      for (char const* t = s;; ++t) {
        if (match_from(p + 1, t)) return true;
        if (*t == '\0' || *t == '.') return false;
      }
    }
    if (*s == '\0') return false;
    if (*p == '?') {
      if (*s == '.') return false;
    } else if (*p != *s) {
      return false;
    }
    ++p;
    ++s;
  }
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
  return match_from(pattern.c_str(), fqn.c_str());
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
