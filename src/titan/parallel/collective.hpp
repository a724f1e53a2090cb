// Turns an error on some ranks into the same error on every rank, so no rank
// waits forever at a later collective (design §7, issue 5).
#pragma once

#include <mpi.h>

#include <functional>
#include <stdexcept>
#include <string>

namespace titan {

//! Thrown on every rank when `collective()` saw a failure on any rank.
class CollectiveError : public std::runtime_error {
 public:
  CollectiveError(std::string const& msg, int failing_rank, bool input_error, MPI_Comm settled_over = MPI_COMM_NULL)
      : std::runtime_error(msg), failing_rank(failing_rank), input_error(input_error), settled_over(settled_over) {}
  int failing_rank;
  bool input_error;  // true for bad input (exit code 2), false for a fault (exit code 1)
  //! The communicator on which every rank already raised this error: a
  //! collective() over the same one passes it on without a second agreement
  //! (the ranks that failed would not take part in one).
  MPI_Comm settled_over;
};

//! Runs `fn` on every rank of `comm` (collective over comm). If it throws on
//! any rank, every rank throws CollectiveError carrying the message of the
//! lowest failing rank. `fn` itself must not call collectives over `comm`
//! that a failing rank could skip, unless it calls agree(comm) before each
//! of them (see agree()).
void collective(MPI_Comm comm, std::function<void()> const& fn);

//! Inside collective(comm, fn): a point where `fn` is about to call a
//! collective (over comm or a sub-communicator of it) that a rank which
//! failed earlier in fn would skip. Every rank of comm takes part in the same
//! agreement as collective()'s: a rank whose fn threw does so from
//! collective() itself, so its peers here learn of the failure and throw the
//! same CollectiveError instead of waiting for it in the collective that
//! follows. Returns when no rank has failed. Costs one MPI_Allreduce of one
//! int over comm.
void agree(MPI_Comm comm);

#define TITAN_MPI_CHECK(call)                                                                       \
  do {                                                                                              \
    int const titan_mpi_rc_ = (call);                                                               \
    if (titan_mpi_rc_ != MPI_SUCCESS) ::titan::detail::mpi_failed(#call, __FILE__, __LINE__, titan_mpi_rc_); \
  } while (0)

namespace detail {
[[noreturn]] void mpi_failed(char const* call, char const* file, int line, int rc);
}

}  // namespace titan
