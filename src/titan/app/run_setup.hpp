// The driver's set-up (collective): the command line and the deck (read by
// rank 0, broadcast), every check that can refuse the run before any heavy
// work (output paths, families, tokens, mesh), the memory plan and its guard,
// the --save destination. Fills RunState up to the first phase.
#pragma once

#include "titan/app/run_state.hpp"

namespace titan {

//! Returns false when the run ends here with status 0 (--help, --version,
//! --print-config, which it printed on rank 0). Errors arrive as
//! CollectiveError on every rank.
bool set_up_run(RunState& s, int argc, char** argv);

}  // namespace titan
