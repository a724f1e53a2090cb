#include "titan/core/human_bytes.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <iomanip>
#include <sstream>

namespace titan {

std::string human_bytes(double b) {
  char const* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (b >= 1024 && u < 5) {
    b /= 1024;
    ++u;
  }
  std::ostringstream o;
  o << std::fixed << std::setprecision(u ? 2 : 0) << b << " " << units[u];
  return o.str();
}

std::optional<std::int64_t> parse_bytes(std::string const& text) {
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  std::string const number = text.substr(0, i);
  // Digits with at most one point, and at least one digit (no "1e9", no "-1", no ".").
  if (number.empty() || number.find_first_of("0123456789") == std::string::npos ||
      number.find('.') != number.rfind('.'))
    return std::nullopt;
  std::size_t j = i;
  while (j < text.size() && text[j] == ' ') ++j;  // "80 GiB"
  std::string unit;
  for (char c : text.substr(j)) unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  struct Unit {
    char const* name;
    double factor;
  };
  static Unit const units[] = {{"", 1},
                               {"b", 1},
                               {"kib", 1024.0},
                               {"mib", 1024.0 * 1024},
                               {"gib", 1024.0 * 1024 * 1024},
                               {"tib", 1024.0 * 1024 * 1024 * 1024},
                               {"pib", 1024.0 * 1024 * 1024 * 1024 * 1024},
                               {"kb", 1e3},
                               {"mb", 1e6},
                               {"gb", 1e9},
                               {"tb", 1e12},
                               {"pb", 1e15}};
  if (unit.empty() && j != i) return std::nullopt;  // "80 " with nothing after the space
  for (Unit const& u : units) {
    if (unit != u.name) continue;
    double const bytes = std::floor(std::strtod(number.c_str(), nullptr) * u.factor);
    if (!(bytes >= 1) || bytes >= 9.2233720368547758e18) return std::nullopt;
    return static_cast<std::int64_t>(bytes);
  }
  return std::nullopt;
}

}  // namespace titan
