// The titan_app driver: parse, build, init_states, stats, report.
#pragma once

#include "titan/core/device.hpp"

namespace titan {

//! Runs the application on MPI_COMM_WORLD (MPI and Kokkos initialized).
//! Returns the exit status: 0 success, 1 a fault while running, 2 bad input.
//! `device` is the node-local rank and device this rank was given.
int run_app(int argc, char** argv, DeviceChoice const& device);

}  // namespace titan
