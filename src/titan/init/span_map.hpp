// The map from a work item to the elements it owns, shared by the fill,
// stats and hash kernels (sizes from launch_shape.hpp). Work item w is slot
// s = w % slots_per_row of local row r = w / slots_per_row; the slot is the
// s-th aligned span of `group` global indices that the row's run
// [row_start, row_start + row_len) touches. The span's part inside the row is
// [lo, hi) in global indices, stored from local index `local` on (row-major
// over the box, last dimension contiguous), so neighbouring work items own
// neighbouring addresses and a span never straddles two rows.
#pragma once

#include "titan/init/box_rows.hpp"
#include "titan/init/launch_shape.hpp"

#include <cstdint>

namespace titan {

struct Span {
  std::uint64_t first = 0;  // global index where the aligned span starts (a multiple of group)
  std::uint64_t lo = 0;     // the part inside the row: [lo, hi), empty when hi <= lo
  std::uint64_t hi = 0;
  std::int64_t local = 0;   // local index of global index lo

  KOKKOS_INLINE_FUNCTION bool empty() const { return hi <= lo; }
  //! Local index of global index g in [lo, hi).
  KOKKOS_INLINE_FUNCTION std::int64_t local_of(std::uint64_t g) const {
    return local + static_cast<std::int64_t>(g - lo);
  }
};

struct SpanMap {
  BoxRows rows;
  LaunchShape shape;

  KOKKOS_INLINE_FUNCTION Span span(std::int64_t item) const {
    // One row (the common case after merging whole trailing dimensions):
    // no division, which costs tens of instructions on a GPU.
    std::int64_t const r = rows.rows == 1 ? 0 : item / shape.slots_per_row;
    std::int64_t const s = item - r * shape.slots_per_row;
    std::uint64_t const group = static_cast<std::uint64_t>(shape.group);
    std::uint64_t const row_g = rows.row_start(r);
    std::uint64_t const row_end = row_g + static_cast<std::uint64_t>(rows.row_len);
    Span out;
    out.first = (row_g & ~(group - 1)) + static_cast<std::uint64_t>(s) * group;
    out.lo = out.first > row_g ? out.first : row_g;
    out.hi = out.first + group < row_end ? out.first + group : row_end;
    out.local = r * rows.row_len + static_cast<std::int64_t>(out.lo - row_g);
    return out;
  }
};

inline SpanMap make_span_map(KernelKind kind, BoxRows const& rows, KernelPath path) {
  return SpanMap{rows, launch_shape(kind, rows.rows, rows.row_len, path)};
}

}  // namespace titan
