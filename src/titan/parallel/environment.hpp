// MPI + Kokkos lifetime for main(): MPI_Init, then Kokkos::initialize; undone
// in reverse order. On a device build each rank gets the device of its
// node-local rank (unless --kokkos-device-id or --kokkos-map-device-id-by is given).
#pragma once

#include "titan/core/device.hpp"

#include <Kokkos_Core.hpp>
#include <mpi.h>

#include <functional>
#include <string>

namespace titan {

class Environment {
 public:
  //! `kokkos_flag_problem` (may be empty) checks each --kokkos-* argument
  //! before Kokkos sees it: a non-empty answer is printed by rank 0 and every
  //! rank exits with status 2 (bad input), MPI finalized, Kokkos never started.
  Environment(int& argc, char**& argv,
              std::function<std::string(std::string const&)> const& kokkos_flag_problem = {});
  ~Environment();
  Environment(Environment const&) = delete;
  Environment& operator=(Environment const&) = delete;

  //! The node-local rank and the device this rank was given.
  DeviceChoice const& device() const { return _device; }

 private:
  DeviceChoice _device;
};

}  // namespace titan
