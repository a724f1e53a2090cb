// The titan_app driver: parse, build, init_states, stats, report.
#pragma once

namespace titan {

//! Runs the application on MPI_COMM_WORLD (MPI and Kokkos initialized).
//! Returns the exit status: 0 success, 1 a fault while running, 2 bad input.
int run_app(int argc, char** argv);

}  // namespace titan
