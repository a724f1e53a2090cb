// Catch2 v2 runner for the MPI tests: MPI, then Kokkos, around the session.
// Every rank runs the same tests; assertions are made on reduced values so
// that all ranks agree (a REQUIRE failing on one rank only would hang others).
#define CATCH_CONFIG_RUNNER
#include <Kokkos_Core.hpp>
#include <catch2/catch.hpp>
#include <mpi.h>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int result = 0;
  {
    Kokkos::ScopeGuard kokkos(argc, argv);
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    Catch::Session session;
    // Only rank 0 reports; the others run the same checks silently.
    if (rank != 0) session.configData().outputFilename = "%debug";
    result = session.run(argc, argv);
  }
  int worst = 0;
  MPI_Allreduce(&result, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return worst;
}
