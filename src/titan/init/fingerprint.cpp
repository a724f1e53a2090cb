#include "titan/init/fingerprint.hpp"

#include "titan/core/bf16.hpp"
#include "titan/core/types.hpp"
#include "titan/init/box_rows.hpp"
#include "titan/init/counter_rng.hpp"
#include "titan/init/philox_chunk.hpp"
#include "titan/init/span_map.hpp"
#include "titan/init/stats_accumulate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace titan {

std::uint64_t combine_fingerprint(std::uint64_t model_so_far, std::string const& fqn, std::uint64_t param_fp) {
  return model_so_far + mix64(param_fp ^ fnv1a64(fqn));
}

namespace {

// Kokkos reduction over the elements of a box, one span of span_map.hpp per
// work item (one element on the generic path): the re-reading pass (the
// init kernels accumulate the same statistics as they store, fill_kernels.hpp).
template <class T>
struct StatsFunctor {
  using value_type = ValueStats;
  Kokkos::View<T const*, Layout, MemSpace> data;
  SpanMap map;

  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t item, value_type& acc) const {
    Span const s = map.span(item);
    for (std::uint64_t g = s.lo; g < s.hi; ++g) stats_add(acc, g, data(s.local_of(g)));
  }
  TITAN_VALUE_STATS_REDUCTION
};

// The fingerprint alone (what --verify-layout compares): a plain wrapping
// sum, so Kokkos' built-in Sum reducer does it.
template <class T>
struct HashFunctor {
  Kokkos::View<T const*, Layout, MemSpace> data;
  SpanMap map;

  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t item, std::uint64_t& acc) const {
    Span const s = map.span(item);
    for (std::uint64_t g = s.lo; g < s.hi; ++g) acc += element_hash(g, stored_bits(data(s.local_of(g))));
  }
};

template <class T>
ValueStats reduce_stats(ShardedTensor const& p, Kokkos::View<T*, Layout, MemSpace> const& view, KernelPath path,
                        LaunchShape* launched) {
  StatsFunctor<T> f{view, make_span_map(KernelKind::stats, make_box_rows(p.shape(), p.local_box()), path)};
  if (launched) *launched = f.map.shape;
  ValueStats result = ValueStats::empty();
  if (f.map.shape.work_items == 0) return result;
  Kokkos::parallel_reduce("stats:" + p.fqn(), Kokkos::RangePolicy<ExecSpace>(0, f.map.shape.work_items), f, result);
  return result;
}

template <class T>
std::uint64_t reduce_hash(ShardedTensor const& p, Kokkos::View<T*, Layout, MemSpace> const& view, KernelPath path,
                          LaunchShape* launched) {
  HashFunctor<T> f{view, make_span_map(KernelKind::hash, make_box_rows(p.shape(), p.local_box()), path)};
  if (launched) *launched = f.map.shape;
  std::uint64_t result = 0;
  if (f.map.shape.work_items == 0) return result;
  Kokkos::parallel_reduce("hash:" + p.fqn(), Kokkos::RangePolicy<ExecSpace>(0, f.map.shape.work_items), f, result);
  return result;
}

}  // namespace

ValueStats local_stats(ShardedTensor const& param) { return local_stats(param, default_kernel_path); }

ValueStats local_stats(ShardedTensor const& param, KernelPath path, LaunchShape* launched) {
  if (launched) *launched = LaunchShape{};
  if (!param.allocated()) return ValueStats::empty();
  if (param.dtype() == DType::float32) return reduce_stats(param, param.f32(), path, launched);
  return reduce_stats(param, param.bf16(), path, launched);
}

std::uint64_t local_fingerprint(ShardedTensor const& param, KernelPath path, LaunchShape* launched) {
  if (launched) *launched = LaunchShape{};
  if (!param.allocated()) return 0;
  if (param.dtype() == DType::float32) return reduce_hash(param, param.f32(), path, launched);
  return reduce_hash(param, param.bf16(), path, launched);
}

namespace {

// The host loop of host_values_stats: runs of one row (consecutive global
// indices) in 128-element chunks, as the fill's host path takes them.
template <class T>
ValueStats stats_of_run(ShardedTensor const& p, T const* values, std::int64_t local_begin, std::int64_t count) {
  BoxRows const rows = make_box_rows(p.shape(), p.local_box());
  ValueStats acc = ValueStats::empty();
  std::int64_t l = local_begin, done = 0;
  while (done < count && rows.row_len > 0) {
    std::int64_t const r = l / rows.row_len, o = l - r * rows.row_len;
    std::int64_t const run = std::min(rows.row_len - o, count - done);
    std::uint64_t const g = rows.row_start(r) + static_cast<std::uint64_t>(o);
    T const* v = values + done;
    std::int64_t i = 0;
    for (; i + philox_chunk_words <= run; i += philox_chunk_words)
      stats_add_chunk<philox_chunk_words>(acc, g + static_cast<std::uint64_t>(i), v + i);
    for (; i < run; ++i) stats_add(acc, g + static_cast<std::uint64_t>(i), v[i]);
    l += run;
    done += run;
  }
  acc.fold();
  return acc;
}

}  // namespace

ValueStats host_values_stats(ShardedTensor const& param, void const* values, std::int64_t local_begin, std::int64_t count) {
  if (param.dtype() == DType::float32)
    return stats_of_run(param, static_cast<float const*>(values), local_begin, count);
  return stats_of_run(param, static_cast<std::uint16_t const*>(values), local_begin, count);
}

std::uint64_t values_fingerprint(View1<float> const& values) {
  std::uint64_t result = 0;
  Kokkos::View<float const*, Layout, MemSpace> const data = values;
  Kokkos::parallel_reduce(
      "hash:buffer", Kokkos::RangePolicy<ExecSpace>(0, static_cast<std::int64_t>(data.extent(0))),
      KOKKOS_LAMBDA(std::int64_t i, std::uint64_t& acc) {
        acc += element_hash(static_cast<std::uint64_t>(i), float_bits(data(i)));
      },
      result);
  return result;
}

}  // namespace titan
