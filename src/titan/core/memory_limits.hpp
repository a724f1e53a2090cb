// How much memory this process may still use: the node's MemAvailable,
// bounded by the room left under any memory cgroup limit (cgroup v2
// memory.max, or v1 memory.limit_in_bytes, of this process's cgroup and its
// ancestors). Read before allocating, by the memory guard.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace titan {

//! The memory still available and the bound it comes from.
struct MemoryRoom {
  std::int64_t bytes = -1;  //!< -1: unknown (no /proc)
  std::string source;       //!< "MemAvailable", or the cgroup limit file that bounds it
};

//! Returns the contents of a small text file, or nullopt when unreadable.
using TextFileReader = std::function<std::optional<std::string>(std::string const& path)>;
std::optional<std::string> read_text_file(std::string const& path);

//! The smallest of MemAvailable (/proc/meminfo) and, for every memory cgroup
//! limit on the way from this process's cgroup (/proc/self/cgroup) to the
//! root, the limit minus the cgroup's usage not counting reclaimable
//! inactive file pages. `read` is how files are read (tests pass a fake).
MemoryRoom available_memory(TextFileReader const& read = read_text_file);

}  // namespace titan
