// titan_app: builds, shards and initializes a transformer from a TOML deck.
#include "titan/app/kokkos_flags.hpp"
#include "titan/app/run.hpp"
#include "titan/parallel/environment.hpp"

int main(int argc, char** argv) {
  titan::Environment env(argc, argv, titan::kokkos_flag_problem);  // MPI, then Kokkos; undone in reverse
  return titan::run_app(argc, argv, env.device());   // every View lives and dies inside
}
