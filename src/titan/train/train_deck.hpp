// Reading and printing the deck's [train] table (host-only: TOML, no Kokkos).
#pragma once

#include "titan/config/table_reader.hpp"
#include "titan/train/train_settings.hpp"

namespace titan {

//! Reads [train] (every key of TrainSettings). Throws InputError with the
//! key's position for a wrong type or a value out of range.
void read_train_settings(TableReader& table, TrainSettings& out);
//! The [train] table as --print-config shows it.
toml::table train_settings_table(TrainSettings const& s);

}  // namespace titan
