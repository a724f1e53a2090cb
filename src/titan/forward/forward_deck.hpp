// Reading and printing the deck's [forward] table (host-only: TOML, no Kokkos).
#pragma once

#include "titan/config/table_reader.hpp"
#include "titan/forward/forward_settings.hpp"

namespace titan {

//! Reads [forward]: enabled, batch, seq_len, tokens_seed, tokens_file.
//! Throws InputError for a non-positive size, a negative seed, a seq_len < 2.
void read_forward_settings(TableReader& table, ForwardSettings& out);
//! The [forward] table as --print-config shows it.
toml::table forward_settings_table(ForwardSettings const& s);

}  // namespace titan
