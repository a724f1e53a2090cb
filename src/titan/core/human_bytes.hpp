// Byte counts for people: "1.50 GiB".
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace titan {

//! `bytes` in the largest binary unit (B, KiB, ... PiB) that keeps it >= 1,
//! two decimals except for plain bytes: "512 B", "1.50 GiB".
std::string human_bytes(double bytes);

//! A byte count written by a person: a positive number (decimals allowed)
//! and an optional unit, binary (KiB, MiB, GiB, TiB, PiB) or decimal (B, KB,
//! MB, GB, TB, PB), e.g. "80GiB", "1.5 TB", "4096"; units are
//! case-insensitive. nullopt for anything else, for less than one byte and
//! for more than INT64_MAX bytes.
std::optional<std::int64_t> parse_bytes(std::string const& text);

}  // namespace titan
