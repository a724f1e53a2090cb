#include "titan/core/memory_limits.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

namespace titan {
namespace {

// Limits at or above this are "no limit" (cgroup v1 writes 2^63 - page size).
constexpr std::int64_t unlimited = std::int64_t(1) << 60;

std::optional<std::int64_t> parse_int(std::string const& text) {
  std::istringstream in(text);
  std::int64_t v = 0;
  if (!(in >> v)) return std::nullopt;
  return v;
}

// The number after "key" at the start of a line of `text` ("key: 12 kB" or "key 12").
std::optional<std::int64_t> field(std::string const& text, std::string const& key) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size(), key) != 0 || line.size() == key.size()) continue;
    char const sep = line[key.size()];
    if (sep != ':' && sep != ' ') continue;
    return parse_int(line.substr(key.size() + 1));
  }
  return std::nullopt;
}

struct CgroupFiles {
  std::string root;     // mount point of the hierarchy
  std::string path;     // this process's cgroup, relative to root ("/a/b")
  char const* limit;    // file names in that hierarchy
  char const* usage;
  char const* inactive;  // key of the reclaimable page cache in memory.stat
};

// The cgroups of this process that can hold a memory limit.
std::vector<CgroupFiles> memory_cgroups(std::string const& proc_self_cgroup) {
  std::vector<CgroupFiles> out;
  std::istringstream in(proc_self_cgroup);
  std::string line;
  while (std::getline(in, line)) {
    auto const a = line.find(':');
    auto const b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    std::string const controllers = "," + line.substr(a + 1, b - a - 1) + ",";
    std::string const path = line.substr(b + 1);
    if (line.compare(0, a, "0") == 0 && controllers == ",,")
      out.push_back({"/sys/fs/cgroup", path, "memory.max", "memory.current", "inactive_file"});
    else if (controllers.find(",memory,") != std::string::npos)
      out.push_back({"/sys/fs/cgroup/memory", path, "memory.limit_in_bytes", "memory.usage_in_bytes",
                     "total_inactive_file"});
  }
  return out;
}

// Room under the limit of one cgroup directory, if it has a limit.
std::optional<MemoryRoom> room_in(std::string const& dir, CgroupFiles const& f, TextFileReader const& read) {
  auto const limit_text = read(dir + "/" + f.limit);
  if (!limit_text) return std::nullopt;
  auto const limit = parse_int(*limit_text);  // "max" (v2 without a limit) does not parse
  if (!limit || *limit >= unlimited) return std::nullopt;
  std::int64_t used = 0;
  if (auto const usage_text = read(dir + "/" + f.usage))
    if (auto u = parse_int(*usage_text)) used = *u;
  if (auto const stat = read(dir + "/memory.stat"))
    if (auto inactive = field(*stat, f.inactive)) used -= std::min(*inactive, used);
  return MemoryRoom{std::max<std::int64_t>(0, *limit - used), dir + "/" + f.limit};
}

}  // namespace

std::optional<std::string> read_text_file(std::string const& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

MemoryRoom available_memory(TextFileReader const& read) {
  MemoryRoom best;
  auto consider = [&](MemoryRoom const& r) {
    if (best.bytes < 0 || r.bytes < best.bytes) best = r;
  };
  if (auto const meminfo = read("/proc/meminfo"))
    if (auto kb = field(*meminfo, "MemAvailable")) consider({*kb * 1024, "MemAvailable"});
  auto const cgroup = read("/proc/self/cgroup");
  if (!cgroup) return best;
  for (auto const& f : memory_cgroups(*cgroup)) {
    // The cgroup and each ancestor up to the mount point ("/a/b", "/a", "").
    std::string rel = f.path == "/" ? "" : f.path;
    while (true) {
      if (auto r = room_in(f.root + rel, f, read)) consider(*r);
      if (rel.empty()) break;
      auto const slash = rel.rfind('/');
      rel.erase(slash == std::string::npos ? 0 : slash);
    }
  }
  return best;
}

}  // namespace titan
