#include "titan/parallel/environment.hpp"

#include <csignal>
#include <cstring>
#include <string>
#include <vector>

namespace titan {

Environment::Environment(int& argc, char**& argv) {
  // A write past the file-size limit (ulimit -f) fails with EFBIG and is
  // reported as an error of the file being written, instead of SIGXFSZ
  // killing one rank in the middle of a collective (mpiexec resets the
  // signal to its default in the ranks it starts).
  std::signal(SIGXFSZ, SIG_IGN);
  MPI_Init(&argc, &argv);
  // Errors are returned, not fatal, so that a failing call can be reported
  // and turned into a collective exit instead of an abort.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  // Kokkos sees only its own --kokkos-* flags: given "--help" it would print
  // its help on every rank before ours.
  std::vector<char*> kokkos_args{argv[0]};
  bool device_given = false;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--kokkos-", 9) == 0) {
      kokkos_args.push_back(argv[i]);
      device_given |= std::strncmp(argv[i], "--kokkos-device-id", 18) == 0 ||
                      std::strncmp(argv[i], "--kokkos-map-device-id-by", 25) == 0;
    }
  // Ranks map to the node's devices by node-local rank; the choice must be
  // made before Kokkos starts, which binds the process to one device.
  _device = choose_device(MPI_COMM_WORLD);
  std::string device_flag = "--kokkos-device-id=" + std::to_string(_device.device_id);
  if (_device.device_id >= 0 && !device_given) kokkos_args.push_back(device_flag.data());
  int kokkos_argc = static_cast<int>(kokkos_args.size());
  kokkos_args.push_back(nullptr);
  Kokkos::initialize(kokkos_argc, kokkos_args.data());
}

Environment::~Environment() {
  Kokkos::finalize();
  MPI_Finalize();
}

}  // namespace titan
