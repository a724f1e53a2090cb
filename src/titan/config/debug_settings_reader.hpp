// Reading and printing the deck's [debug] table (TOML side of
// debug_settings.hpp; only the deck reader includes this).
#pragma once

#include "titan/config/debug_settings.hpp"
#include "titan/config/table_reader.hpp"

namespace titan {

//! Reads and checks [debug] (`table` is that table's reader). Throws
//! InputError for an unknown phase (listing the valid ones), a fail_rank
//! below -1, a fail_rank without fail_phase or the other way round, and a
//! memory_available that is not positive.
DebugSettings read_debug_settings(TableReader& table);

//! Adds the non-default switches to `out` (for --print-config).
void print_debug_settings(DebugSettings const& settings, toml::table& out);

}  // namespace titan
