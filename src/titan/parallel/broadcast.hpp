// Broadcasting a byte string from one rank (the input deck, issue 12).
#pragma once

#include <mpi.h>

#include <string>

namespace titan {

//! Collective over `comm`: every rank's `text` becomes `root`'s (its length
//! first, then the bytes, in pieces below INT_MAX).
void broadcast_text(MPI_Comm comm, std::string& text, int root);

}  // namespace titan
