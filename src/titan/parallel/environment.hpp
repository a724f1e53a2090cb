// MPI + Kokkos lifetime for main(): MPI_Init, then Kokkos::initialize; undone
// in reverse order.
#pragma once

#include <Kokkos_Core.hpp>
#include <mpi.h>

namespace titan {

class Environment {
 public:
  Environment(int& argc, char**& argv);
  ~Environment();
  Environment(Environment const&) = delete;
  Environment& operator=(Environment const&) = delete;
};

}  // namespace titan
