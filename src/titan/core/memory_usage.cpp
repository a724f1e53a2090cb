#include "titan/core/memory_usage.hpp"

#include <fstream>
#include <sstream>
#include <string>

namespace titan {
namespace {

// Returns the value in bytes of a "Key:   1234 kB" line of a /proc file.
std::int64_t proc_kb_field(char const* path, std::string const& key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size(), key) == 0 && line.size() > key.size() && line[key.size()] == ':') {
      std::istringstream fields(line.substr(key.size() + 1));
      std::int64_t kb = 0;
      fields >> kb;
      return kb * 1024;
    }
  }
  return 0;
}

}  // namespace

std::int64_t peak_resident_bytes() { return proc_kb_field("/proc/self/status", "VmHWM"); }
std::int64_t resident_bytes() { return proc_kb_field("/proc/self/status", "VmRSS"); }
std::int64_t node_available_bytes() { return proc_kb_field("/proc/meminfo", "MemAvailable"); }

}  // namespace titan
