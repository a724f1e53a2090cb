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
  CollectiveError(std::string const& msg, int failing_rank, bool input_error)
      : std::runtime_error(msg), failing_rank(failing_rank), input_error(input_error) {}
  int failing_rank;
  bool input_error;  // true for bad input (exit code 2), false for a fault (exit code 1)
};

//! Runs `fn` on every rank of `comm` (collective over comm). If it throws on
//! any rank, every rank throws CollectiveError carrying the message of the
//! lowest failing rank. `fn` itself must not call collectives over `comm`
//! that a failing rank could skip.
void collective(MPI_Comm comm, std::function<void()> const& fn);

#define TITAN_MPI_CHECK(call)                                                                       \
  do {                                                                                              \
    int const titan_mpi_rc_ = (call);                                                               \
    if (titan_mpi_rc_ != MPI_SUCCESS) ::titan::detail::mpi_failed(#call, __FILE__, __LINE__, titan_mpi_rc_); \
  } while (0)

namespace detail {
[[noreturn]] void mpi_failed(char const* call, char const* file, int line, int rc);
}

}  // namespace titan
