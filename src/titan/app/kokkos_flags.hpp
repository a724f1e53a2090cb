// Kokkos' own command-line flags (--kokkos-*), checked before Kokkos sees
// them (issue 19, class 16): Kokkos 3.4 aborts the process with a stack
// trace on "--kokkos-threads=abc" (std::stoi) and ignores a misspelt flag.
// Host-only; no Kokkos header (the flags are known by name, for Kokkos 3.4
// and 4.x).
#pragma once

#include <string>

namespace titan {

//! "" when `arg` (which starts with "--kokkos-") is a Kokkos flag with a
//! valid value, else the message: an unknown flag (with the closest known
//! one), a missing or malformed value ("--kokkos-threads=abc: expected
//! --kokkos-threads=N, N a whole number from 0 to 65535").
std::string kokkos_flag_problem(std::string const& arg);

//! The flags, for --help.
std::string kokkos_flags_help();

}  // namespace titan
