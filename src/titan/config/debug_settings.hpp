// The deck's [debug] table: switches for testing the failure paths of the
// application (an injected failure on one rank in one phase, a pretend
// amount of available memory for the memory guard). Off by default.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace titan {

struct DebugSettings {
  int fail_rank = -1;               //!< rank that throws; -1: none
  std::string fail_phase;           //!< phase in which it throws ("" when fail_rank is -1)
  std::string fail_rank_where;      //!< "file:line:col: [debug]" of fail_rank, for messages
  //! With fail_phase = "train": the rank throws inside the forward of this
  //! Linear module (its fqn, "layers.0.attention.wq") in the first training
  //! step, in the middle of a block, instead of at the phase's end: a test of
  //! the in-block agreements (StepContext::before_collective). "" when unset.
  std::string fail_module;
  std::string fail_module_where;
  std::int64_t memory_available = 0;  //!< > 0: the memory guard's available bytes per node; 0: measured

  //! True when any switch differs from its default.
  bool any() const { return fail_rank >= 0 || memory_available > 0; }
};

//! The driver's phases in which a failure can be injected, in run order:
//! parse, build, init_states, stats, report.
std::vector<std::string> const& fault_phase_names();

}  // namespace titan
