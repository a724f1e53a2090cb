#include "titan/parallel/broadcast.hpp"

#include "titan/parallel/collective.hpp"

#include <algorithm>
#include <cstdint>

namespace titan {

void broadcast_text(MPI_Comm comm, std::string& text, int root) {
  std::uint64_t size = text.size();
  TITAN_MPI_CHECK(MPI_Bcast(&size, 1, MPI_UINT64_T, root, comm));
  text.resize(static_cast<std::size_t>(size));
  std::uint64_t constexpr piece = std::uint64_t(1) << 30;
  for (std::uint64_t at = 0; at < size; at += piece) {
    int const n = static_cast<int>(std::min(piece, size - at));
    TITAN_MPI_CHECK(MPI_Bcast(&text[static_cast<std::size_t>(at)], n, MPI_CHAR, root, comm));
  }
}

}  // namespace titan
