// Fault injection for tests of the collective failure paths: the deck's
// [debug] fail_rank / fail_phase make one rank throw a RunError inside one
// phase's collective guard, as an allocation or I/O failure would.
#pragma once

#include "titan/config/debug_settings.hpp"

#include <string>

namespace titan {

//! Checks the switch against this run: fail_rank must be a rank of the MPI
//! world, and the phase must run (init_states and stats do not run under
//! --dry-run). Throws InputError.
void check_fault_injection(DebugSettings const& settings, int world_size, bool dry_run);

//! Throws RunError("injected failure on rank R in phase P") when `rank` and
//! `phase` are the chosen ones; returns otherwise. `phase` must be one of
//! fault_phase_names().
void inject_fault(DebugSettings const& settings, int rank, std::string const& phase);

}  // namespace titan
