#include "titan/parallel/environment.hpp"

namespace titan {

Environment::Environment(int& argc, char**& argv) {
  MPI_Init(&argc, &argv);
  // Errors are returned, not fatal, so that a failing call can be reported
  // and turned into a collective exit instead of an abort.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  Kokkos::initialize(argc, argv);
}

Environment::~Environment() {
  Kokkos::finalize();
  MPI_Finalize();
}

}  // namespace titan
