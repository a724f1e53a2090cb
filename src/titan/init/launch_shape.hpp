// How many work items the init kernels (fill, stats, hash) launch, and how
// many elements each covers. The kernels size their RangePolicy from
// launch_shape() and nothing else, so this is also the number a profiler or
// a test can check: on a device it must grow with the elements (design §9:
// one Philox block per work item), never with the rows.
//
// A work item is one aligned span of `group` consecutive *global* indices
// (group a power of two) intersected with one row of the local box
// (span_map.hpp). Two paths share that map:
//  - generic (any execution space, the one a GPU runs): fill spans one
//    Philox4x32 block (4 elements), stats and hash one element;
//  - host_chunked (a host execution space): the fill spans 128 elements, so
//    it can use the vectorized 128-word Philox chunk (philox_chunk.hpp) per
//    work item; the reductions span 4096, which amortizes the per-item index
//    arithmetic (about 8 % faster stats than with 64, measured).
// Both give bit-identical values (tests/unit/test_launch_shape.cpp).
#pragma once

#include "titan/core/types.hpp"
#include "titan/init/philox_chunk.hpp"

#include <cstdint>
#include <type_traits>

namespace titan {

enum class KernelKind { fill, stats, hash };
enum class KernelPath { generic, host_chunked };

//! The path for an execution space that runs on the host's cores (or not):
//! a CPU build takes the vectorized chunks, anything else the generic path.
constexpr KernelPath kernel_path_for(bool host_execution_space) {
  return host_execution_space ? KernelPath::host_chunked : KernelPath::generic;
}

//! The path this build's kernels take by default: the default execution
//! space is the default host one exactly when no device backend is enabled.
//! (Deciding by the memory space instead would send a device build with
//! host-accessible unified memory down the host path.)
constexpr KernelPath default_kernel_path =
    kernel_path_for(std::is_same<ExecSpace, Kokkos::DefaultHostExecutionSpace>::value);

struct LaunchShape {
  std::int64_t work_items = 0;     // the RangePolicy's length
  std::int64_t group = 1;          // global indices one aligned span covers (a power of two)
  std::int64_t slots_per_row = 0;  // work items per row of the local box
};

//! Global indices per work item.
constexpr std::int64_t span_group(KernelKind kind, KernelPath path) {
  if (path == KernelPath::host_chunked) return kind == KernelKind::fill ? philox_chunk_words : 4096;
  return kind == KernelKind::fill ? 4 : 1;  // device: one Philox4x32 block; one element
}

//! The most aligned spans of `group` indices that a run of `row_len`
//! consecutive indices can touch, whatever its start: ceil((group - 1 +
//! row_len) / group), reached when the run starts one before a boundary.
//! Work items past a row's actual spans are empty and return at once.
constexpr std::int64_t slots_per_row(std::int64_t row_len, std::int64_t group) {
  return row_len > 0 ? (row_len + 2 * group - 2) / group : 0;
}

//! The launch of `kind` on a local box of `rows` rows of `row_len` elements.
constexpr LaunchShape launch_shape(KernelKind kind, std::int64_t rows, std::int64_t row_len,
                                   KernelPath path = default_kernel_path) {
  LaunchShape s;
  s.group = span_group(kind, path);
  s.slots_per_row = slots_per_row(row_len, s.group);
  s.work_items = rows * s.slots_per_row;
  return s;
}

//! Same, for a 1-D tensor (one row) of `local_numel` elements.
constexpr LaunchShape launch_shape(KernelKind kind, std::int64_t local_numel, KernelPath path = default_kernel_path) {
  return launch_shape(kind, 1, local_numel, path);
}

inline char const* kernel_path_name(KernelPath path) {
  return path == KernelPath::generic ? "generic (device)" : "host_chunked";
}

}  // namespace titan
