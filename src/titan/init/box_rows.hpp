// Walks a local box row by row: the last tensor dimension is contiguous both
// in the local shard and in the global tensor, so each row is one run of
// consecutive global indices.
#pragma once

#include "titan/parallel/placement.hpp"

#include <Kokkos_Core.hpp>

#include <cstdint>

namespace titan {

constexpr int max_tensor_rank = 4;

struct BoxRows {
  int rank = 1;
  Kokkos::Array<std::int64_t, max_tensor_rank> offset, extent, global_stride;
  std::int64_t rows = 0;     // product of the leading extents
  std::int64_t row_len = 0;  // extent of the last dimension

  //! Global linear index of the first element of local row r.
  KOKKOS_INLINE_FUNCTION std::uint64_t row_start(std::int64_t r) const {
    std::int64_t g = offset[rank - 1] * global_stride[rank - 1];
    for (int d = rank - 2; d > 0; --d) {
      std::int64_t const i = r % extent[d];
      r /= extent[d];
      g += (offset[d] + i) * global_stride[d];
    }
    if (rank > 1) g += (offset[0] + r) * global_stride[0];  // r < extent[0]: no division (costly on a GPU)
    return static_cast<std::uint64_t>(g);
  }
};

//! The rows of `box` in a tensor of `shape`. Trailing dimensions that the box
//! covers whole are merged into the row (their rows are consecutive in the
//! global tensor too), so a replicated or row-sharded tensor is one long row:
//! fewer, longer runs and no index arithmetic per row.
BoxRows make_box_rows(Shape const& shape, Box const& box);

}  // namespace titan
