#include "titan/parallel/environment.hpp"

#include <cstring>
#include <vector>

namespace titan {

Environment::Environment(int& argc, char**& argv) {
  MPI_Init(&argc, &argv);
  // Errors are returned, not fatal, so that a failing call can be reported
  // and turned into a collective exit instead of an abort.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  // Kokkos sees only its own --kokkos-* flags: given "--help" it would print
  // its help on every rank before ours.
  std::vector<char*> kokkos_args{argv[0]};
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--kokkos-", 9) == 0) kokkos_args.push_back(argv[i]);
  int kokkos_argc = static_cast<int>(kokkos_args.size());
  kokkos_args.push_back(nullptr);
  Kokkos::initialize(kokkos_argc, kokkos_args.data());
}

Environment::~Environment() {
  Kokkos::finalize();
  MPI_Finalize();
}

}  // namespace titan
