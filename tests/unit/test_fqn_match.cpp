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
