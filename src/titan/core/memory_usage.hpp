// Resident memory of this process, read from /proc/self/status.
#pragma once

#include <cstdint>

namespace titan {

//! Peak resident set size (VmHWM) in bytes; 0 where /proc is unavailable.
std::int64_t peak_resident_bytes();
//! Current resident set size (VmRSS) in bytes; 0 where /proc is unavailable.
std::int64_t resident_bytes();
//! MemAvailable of the node in bytes (from /proc/meminfo); 0 if unknown.
std::int64_t node_available_bytes();

}  // namespace titan
