#include "titan/parallel/collective.hpp"

#include "titan/core/echo.hpp"
#include "titan/core/errors.hpp"

#include <utility>
#include <vector>

namespace titan {

namespace detail {
void mpi_failed(char const* call, char const* file, int line, int rc) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  throw RunError(std::string(file) + ":" + std::to_string(line) + ": " + call + " failed: " + std::string(text, len));
}
}  // namespace detail

namespace {

// Every rank of comm calls this once per agreement, failed or not: the
// lowest failing rank's message becomes a CollectiveError on every rank.
void settle(MPI_Comm comm, int failed, std::string message) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  // One line of bounded length: no Kokkos traceback note, no raw control characters.
  if (failed) message = clean_message(message);
  int const mine = failed ? rank : size;
  int first = size;
  TITAN_MPI_CHECK(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm));
  if (first == size) return;

  // The first failing rank tells everyone what went wrong.
  int header[2] = {failed, static_cast<int>(message.size())};
  TITAN_MPI_CHECK(MPI_Bcast(header, 2, MPI_INT, first, comm));
  std::vector<char> text(static_cast<std::size_t>(header[1]) + 1, '\0');
  if (rank == first) message.copy(text.data(), message.size());
  TITAN_MPI_CHECK(MPI_Bcast(text.data(), header[1], MPI_CHAR, first, comm));
  throw CollectiveError(std::string(text.data(), static_cast<std::size_t>(header[1])), first, header[0] == 2, comm);
}

}  // namespace

void collective(MPI_Comm comm, std::function<void()> const& fn) {
  std::string message;
  int failed = 0;  // 0 ok, 1 fault, 2 bad input
  try {
    fn();
  } catch (InputError const& e) {
    failed = 2;
    message = e.what();
  } catch (CollectiveError const& e) {
    if (e.settled_over == comm) throw;  // every rank of comm raised it at an agree(comm) inside fn
    failed = e.input_error ? 2 : 1;
    message = e.what();
  } catch (std::exception const& e) {
    failed = 1;
    message = e.what();
  }
  settle(comm, failed, std::move(message));
}

void agree(MPI_Comm comm) { settle(comm, 0, std::string()); }

}  // namespace titan
