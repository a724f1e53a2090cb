// Reading the bytes of the input deck (issue 12): once, by one rank, with a
// size bound, from a regular file or a stream (stdin, a pipe, a FIFO). The
// caller broadcasts the text, so every rank parses the same bytes.
// Host-only: no Kokkos, no toml++.
#pragma once

#include <cstddef>
#include <string>

namespace titan {

//! The largest input deck read: 4 MiB (a real deck is a few KiB).
constexpr std::size_t max_deck_bytes = std::size_t(4) << 20;

//! The whole content of `path`, read once, front to back (so a FIFO or
//! /dev/stdin gives its bytes exactly once). Throws InputError naming the
//! path: it cannot be opened or read (missing, a directory), or it holds
//! more than `limit` bytes ("is larger than the 4 MiB limit of an input
//! deck"; /dev/zero stops there too).
std::string read_deck_source(std::string const& path, std::size_t limit = max_deck_bytes);

}  // namespace titan
