// The driver, in the order of the README's sentence: read the deck, build
// the module tree on the mesh, initialize every local shard, fingerprint it,
// report. The set-up (run_setup.hpp) refuses bad input before any heavy
// work; then the phases (run_phases.hpp) run in order, each under the one
// guard, timer and fault-injection point of phase.hpp.
#include "titan/app/run.hpp"

#include "titan/app/phase.hpp"
#include "titan/app/run_phases.hpp"
#include "titan/app/run_setup.hpp"
#include "titan/app/run_state.hpp"
#include "titan/core/errors.hpp"
#include "titan/core/memory_usage.hpp"
#include "titan/parallel/collective.hpp"
#include "titan/version.hpp"

#include <mpi.h>

#include <cstdio>
#include <iostream>

namespace titan {
namespace {

std::string kokkos_version() {
  int const v = KOKKOS_VERSION;
  return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
}

int run(World const& w, int argc, char** argv, DeviceChoice const& device) {
  RunState s;
  s.baseline_rss = resident_bytes();  // before titan allocates anything
  s.w = w;
  s.device = device;
  s.report.version = TITAN_VERSION;
  s.report.git_hash = TITAN_GIT_HASH;
  s.report.exec_space = ExecSpace::name();
  s.report.device = describe_device(device);
  s.report.kokkos_version = kokkos_version();

  if (!set_up_run(s, argc, argv)) return 0;  // --help, --version, --print-config
  run_phases(run_phase_list(), s);

  // The JSON was written to its temporary name in the report phase; it is
  // renamed into place only after every rank got through it.
  collective(w.comm, [&] {
    if (s.json_out) s.json_out->commit();
  });
  if (w.root()) {
    s.report.print_summary(std::cout);
    std::cout.flush();
  }
  if (!s.layout_failure.empty()) {  // reported (layout_verified = false), then a fault
    if (w.root()) {
      std::fprintf(stderr, "titan_app: error: %s\n", s.layout_failure.c_str());
      std::fflush(stderr);
    }
    MPI_Barrier(w.comm);  // no rank leaves before rank 0 has printed
    return 1;
  }
  return 0;
}

}  // namespace

int run_app(int argc, char** argv, DeviceChoice const& device) {
  World w;
  MPI_Comm_rank(w.comm, &w.rank);
  MPI_Comm_size(w.comm, &w.size);
  try {
    return run(w, argc, argv, device);
  } catch (CollectiveError const& e) {
    if (w.root()) {
      std::fprintf(stderr, "titan_app: error: %s%s\n", e.what(),
                   e.failing_rank != 0 ? (" (on rank " + std::to_string(e.failing_rank) + ")").c_str() : "");
      std::fflush(stderr);
    }
    // No rank leaves before rank 0 has printed: mpiexec may kill the others
    // as soon as one exits non-zero.
    MPI_Barrier(w.comm);
    return e.input_error ? 2 : 1;
  } catch (std::exception const& e) {
    // Outside a collective guard (a bug or an MPI failure): other ranks may be
    // waiting in a collective, so the only safe way out is to abort the job.
    std::fprintf(stderr, "titan_app: error on rank %d: %s\n", w.rank, e.what());
    std::fflush(stderr);
    MPI_Abort(w.comm, 1);
    return 1;
  } catch (...) {
    std::fprintf(stderr, "titan_app: error on rank %d: unknown exception\n", w.rank);
    std::fflush(stderr);
    MPI_Abort(w.comm, 1);
    return 1;
  }
}

}  // namespace titan
