// The driver as a list of named phases (issue 16). What every phase needs
// happens here, in one place: the collective guard (a failure on one rank is
// every rank's), the profiling region, the fences around the timer, the
// fault-injection point ([debug] fail_phase) and the min/avg/max reduction
// into the report's phase table. A phase's body says only what it does.
#pragma once

#include "titan/report/report.hpp"

#include <mpi.h>

#include <functional>
#include <string>
#include <vector>

namespace titan {

struct RunState;

//! What a phase's body may say about its own timing.
class PhaseTimer {
 public:
  //! The phase measured itself (the best of its repetitions, a save without
  //! its write-speed reference): this figure goes into the table instead of
  //! the wall time around the body.
  void set_seconds(double s) { _own = s; }
  double seconds(double measured) const { return _own >= 0 ? _own : measured; }

 private:
  double _own = -1;
};

struct Phase {
  enum class Kind {
    //! The body makes no MPI call: it runs inside one collective(), with the
    //! fault-injection point, so that a failure on one rank ends the phase on all.
    local,
    //! The body makes collective calls itself (every rank calls it) and
    //! guards its own local steps; the fault-injection point follows it.
    collective,
  };
  std::string name;  //!< the phase table's row, the profiling region, the fail_phase name
  Kind kind = Kind::local;
  bool timed = true;  //!< a row of the phase table
  std::function<bool(RunState const&)> enabled;
  std::function<void(RunState&, PhaseTimer&)> body;
};

//! The min/avg/max over the ranks of comm of a local duration.
PhaseTiming reduce_phase(MPI_Comm comm, std::string name, double local_s);

//! Runs the enabled phases in order (collective over s.w.comm).
void run_phases(std::vector<Phase> const& phases, RunState& s);

}  // namespace titan
