#include "titan/core/human_bytes.hpp"

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

}  // namespace titan
