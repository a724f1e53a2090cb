#include "titan/parallel/environment.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace titan {

Environment::Environment(int& argc, char**& argv, std::function<std::string(std::string const&)> const& kokkos_flag_problem) {
  // A write past the file-size limit (ulimit -f) fails with EFBIG and is
  // reported as an error of the file being written, instead of SIGXFSZ
  // killing one rank in the middle of a collective (mpiexec resets the
  // signal to its default in the ranks it starts).
  std::signal(SIGXFSZ, SIG_IGN);
  // Open MPI 4.1's "lockedfile" shared-file-pointer component formats the
  // file name into a fixed 256-byte buffer while MPI_File_open selects a
  // component, so a checkpoint path longer than about 240 bytes aborts the
  // process (glibc: "buffer overflow detected"). titan_app never uses shared
  // file pointers: leave that component out, unless the user chose (issue 19).
  ::setenv("OMPI_MCA_sharedfp", "^lockedfile", /*overwrite=*/0);
  MPI_Init(&argc, &argv);
  // Errors are returned, not fatal, so that a failing call can be reported
  // and turned into a collective exit instead of an abort.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  // Kokkos' own flags are checked first (issue 19): Kokkos 3.4 aborts with a
  // stack trace on a malformed value and ignores a misspelt flag. The check
  // is a function of argv alone, so every rank reaches the same verdict:
  // rank 0 says why, every rank exits with status 2.
  for (int i = 1; i < argc; ++i)
    if (kokkos_flag_problem && std::strncmp(argv[i], "--kokkos-", 9) == 0) {
      std::string const problem = kokkos_flag_problem(argv[i]);
      if (problem.empty()) continue;
      int rank = 0;
      MPI_Comm_rank(MPI_COMM_WORLD, &rank);
      if (rank == 0) {
        std::fprintf(stderr, "titan_app: error: %s\n", problem.c_str());
        std::fflush(stderr);
      }
      MPI_Barrier(MPI_COMM_WORLD);  // no rank leaves before rank 0 has printed
      MPI_Finalize();
      std::exit(2);
    }
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
