// fqn_match against a plain backtracking reference on every short pattern
// and name over a small alphabet, and on a pattern full of stars (which the
// deck fuzzer found made backtracking take exponential time).
#include "titan/config/param_overrides.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace titan;

namespace {

// The documented semantics, directly: "**" any run, "*" a run without '.',
// "?" one character other than '.', anything else itself.
bool reference(char const* p, char const* s) {
  if (*p == '\0') return *s == '\0';
  if (p[0] == '*' && p[1] == '*') return reference(p + 2, s) || (*s != '\0' && reference(p, s + 1));
  if (p[0] == '*') return reference(p + 1, s) || (*s != '\0' && *s != '.' && reference(p, s + 1));
  if (*s == '\0') return false;
  if (*p == '?') return *s != '.' && reference(p + 1, s + 1);
  return *p == *s && reference(p + 1, s + 1);
}

// Every string of length 0..max_len over `alphabet`.
std::vector<std::string> all_strings(std::string const& alphabet, int max_len) {
  std::vector<std::string> out{""};
  for (std::size_t begin = 0, len = 0; len < static_cast<std::size_t>(max_len); ++len) {
    std::size_t const end = out.size();
    for (std::size_t i = begin; i < end; ++i)
      for (char c : alphabet) out.push_back(out[i] + c);
    begin = end;
  }
  return out;
}

}  // namespace

TEST_CASE("fqn_match agrees with the reference on all short patterns and names", "[overrides]") {
  auto const patterns = all_strings("a.*?", 5);
  auto const names = all_strings("ab.", 4);
  long mismatches = 0, matches = 0;
  for (auto const& p : patterns)
    for (auto const& n : names) {
      bool const want = reference(p.c_str(), n.c_str());
      matches += want;
      if (fqn_match(p, n) != want) {
        ++mismatches;
        UNSCOPED_INFO("pattern '" << p << "' name '" << n << "' expected " << want);
      }
    }
  CHECK(matches > 1000);  // the sample is not trivially all "no"
  CHECK(mismatches == 0);
}

TEST_CASE("a pattern full of stars is matched without backtracking blow-up", "[overrides]") {
  std::string const stars = "layers.*.*ttention" + std::string(64, '*') + ".w?.weight";
  std::string const fqn = "layers.12.attention.wq.weight";
  CHECK(fqn_match(stars, fqn));
  CHECK_FALSE(fqn_match(stars + "x", fqn));
  CHECK_FALSE(fqn_match(std::string(80, '*') + "z", std::string(60, 'a')));
}

// Issue 19: patterns are looked up by their literal prefix; the choice must
// be the one a scan of every pattern makes (checked against fqn_match over
// all patterns), including ambiguity between patterns of different prefixes.
TEST_CASE("ParamOverrides picks what a scan of every pattern picks", "[fqn_match]") {
  std::vector<std::string> const patterns = {"layers.1*.attention.wq.weight", "**.wk.weight", "layers.?.ffn_norm.weight",
                                             "layers.12.*.w2.weight", "*.weight", "output.weight", "l*s.3.**"};
  std::vector<std::string> const fqns = {"layers.1.attention.wq.weight", "layers.12.attention.wq.weight",
                                         "layers.3.attention.wk.weight", "layers.7.ffn_norm.weight",
                                         "layers.12.feed_forward.w2.weight", "output.weight", "norm.weight",
                                         "tok_embeddings.weight", "layers.3.ffn_norm.weight"};
  for (std::size_t mask = 1; mask < (std::size_t(1) << patterns.size()); ++mask) {
    ParamOverrides o;
    std::vector<std::string> used;
    for (std::size_t i = 0; i < patterns.size(); ++i)
      if (mask >> i & 1) {
        o.init.push_back({patterns[i], InitSpec{}, "deck:" + std::to_string(i), 0});
        used.push_back(patterns[i]);
      }
    for (auto const& fqn : fqns) {
      std::vector<std::string> hits;  // the scan: exact name first, else the matching patterns in deck order
      bool exact = false;
      for (auto const& p : used) {
        bool const wild = p.find_first_of("*?") != std::string::npos;
        if (!wild && p == fqn) exact = true;
        if (wild && fqn_match(p, fqn)) hits.push_back(p);
      }
      if (hits.size() > 1) {
        CHECK_THROWS_WITH(o.init_for(fqn), Catch::Contains("patterns '" + hits[0] + "' and '" + hits[1] + "' both match " + fqn));
      } else {
        CHECK(o.init_for(fqn).has_value() == (exact || hits.size() == 1));
      }
    }
  }
}
