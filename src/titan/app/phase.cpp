#include "titan/app/phase.hpp"

#include "titan/app/fault_injection.hpp"
#include "titan/app/run_state.hpp"
#include "titan/core/errors.hpp"
#include "titan/core/profile_region.hpp"
#include "titan/parallel/collective.hpp"

#include <Kokkos_Core.hpp>

namespace titan {

PhaseTiming reduce_phase(MPI_Comm comm, std::string name, double local_s) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  PhaseTiming t;
  t.name = std::move(name);
  double sum = 0;
  TITAN_MPI_CHECK(MPI_Allreduce(&local_s, &t.min_s, 1, MPI_DOUBLE, MPI_MIN, comm));
  TITAN_MPI_CHECK(MPI_Allreduce(&local_s, &t.max_s, 1, MPI_DOUBLE, MPI_MAX, comm));
  TITAN_MPI_CHECK(MPI_Allreduce(&local_s, &sum, 1, MPI_DOUBLE, MPI_SUM, comm));
  t.avg_s = sum / size;
  return t;
}

void run_phases(std::vector<Phase> const& phases, RunState& s) {
  for (Phase const& p : phases) {
    if (p.enabled && !p.enabled(s)) continue;
    PhaseTimer timer;
    double measured = 0;
    // Fenced on both sides, so that device work is charged to its phase.
    auto timed_body = [&] {
      ProfileRegion region(p.name);
      Kokkos::fence();
      double const t0 = MPI_Wtime();
      p.body(s, timer);
      Kokkos::fence();
      measured = MPI_Wtime() - t0;
    };
    if (p.kind == Phase::Kind::local) {
      collective(s.w.comm, [&] {
        timed_body();
        inject_fault(s.deck.debug, s.w.rank, p.name);
      });
    } else {
      timed_body();
      collective(s.w.comm, [&] { inject_fault(s.deck.debug, s.w.rank, p.name); });
    }
    if (p.timed) s.report.phases.push_back(reduce_phase(s.w.comm, p.name, timer.seconds(measured)));
  }
}

}  // namespace titan
