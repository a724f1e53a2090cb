// Reading and printing the deck's [mpi] table (host-only: TOML, no Kokkos).
#pragma once

#include "titan/config/table_reader.hpp"
#include "titan/parallel/mpi_settings.hpp"

namespace titan {

//! Reads [mpi]: device_buffers ("auto", "on" or "off"); InputError for any other value.
void read_mpi_settings(TableReader& table, MpiSettings& out);
//! The [mpi] table as --print-config shows it.
toml::table mpi_settings_table(MpiSettings const& s);

}  // namespace titan
