// Small helpers for the MPI tests: world rank and size, and collective
// agreement (assert on reduced values so that every rank takes the same
// branch; a REQUIRE failing on one rank only would hang the others).
#pragma once

#include <mpi.h>

namespace titan_test {

inline int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

inline int world_size() {
  int s = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

//! Collective: true on every rank iff `ok` holds on every rank.
inline bool all_ranks(bool ok) {
  int v = ok ? 1 : 0, r = 0;
  MPI_Allreduce(&v, &r, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return r == 1;
}

//! Collective: true on every rank iff `ok` holds on some rank.
inline bool any_rank(bool ok) { return !all_ranks(!ok); }

}  // namespace titan_test
