// The phases of a run, in order (docs/design_notes.md): build, then a dry
// run's plan, or a real run's fill (the baseline), init_states (or load),
// stats, verify, loads, forward, train, save; then verify_layout and report.
// Each is enabled by what the command line and deck ask for; phase.hpp runs them.
#pragma once

#include "titan/app/phase.hpp"

#include <vector>

namespace titan {

std::vector<Phase> run_phase_list();

}  // namespace titan
