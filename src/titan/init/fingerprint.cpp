#include "titan/init/fingerprint.hpp"

#include "titan/core/bf16.hpp"
#include "titan/core/types.hpp"
#include "titan/init/box_rows.hpp"
#include "titan/init/counter_rng.hpp"
#include "titan/init/span_map.hpp"

#include <cmath>
#include <limits>

namespace titan {

ValueStats ValueStats::empty() {
  ValueStats s;
  s.min = std::numeric_limits<double>::infinity();
  s.max = -std::numeric_limits<double>::infinity();
  return s;
}

void ValueStats::merge(ValueStats const& o) {
  fingerprint += o.fingerprint;
  count += o.count;
  sum += o.sum;
  sum_sq += o.sum_sq;
  min = std::min(min, o.min);
  max = std::max(max, o.max);
}

double ValueStats::std() const {
  if (count <= 0) return 0.0;
  double const m = mean();
  double const var = sum_sq / count - m * m;
  return var > 0 ? std::sqrt(var) : 0.0;
}

std::uint64_t combine_fingerprint(std::uint64_t model_so_far, std::string const& fqn, std::uint64_t param_fp) {
  return model_so_far + mix64(param_fp ^ fnv1a64(fqn));
}

namespace {

KOKKOS_INLINE_FUNCTION float to_float(float v) { return v; }
KOKKOS_INLINE_FUNCTION float to_float(std::uint16_t v) { return bf16_to_float(v); }
KOKKOS_INLINE_FUNCTION std::uint32_t to_bits(float v) { return float_bits(v); }
KOKKOS_INLINE_FUNCTION std::uint32_t to_bits(std::uint16_t v) { return v; }

// Kokkos reduction over the elements of a box, one span of span_map.hpp per
// work item (one element on the generic path). A functor (not a lambda)
// because Kokkos 3.4 reduces a struct only through init/join members.
template <class T>
struct StatsFunctor {
  using value_type = ValueStats;
  Kokkos::View<T const*, Layout, MemSpace> data;
  SpanMap map;

  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t item, value_type& acc) const {
    Span const s = map.span(item);
    for (std::uint64_t g = s.lo; g < s.hi; ++g) {
      T const raw = data(s.local_of(g));
      double const v = to_float(raw);
      acc.fingerprint += element_hash(g, to_bits(raw));
      acc.count += 1.0;
      acc.sum += v;
      acc.sum_sq += v * v;
      acc.min = v < acc.min ? v : acc.min;
      acc.max = v > acc.max ? v : acc.max;
    }
  }
  KOKKOS_INLINE_FUNCTION void init(value_type& v) const {
    v.fingerprint = 0;
    v.count = v.sum = v.sum_sq = 0.0;
    v.min = 1.0 / 0.0;
    v.max = -1.0 / 0.0;
  }
  KOKKOS_INLINE_FUNCTION void join(value_type& dst, value_type const& src) const { join_impl(dst, src); }
#if KOKKOS_VERSION < 40000
  KOKKOS_INLINE_FUNCTION void join(volatile value_type& dst, volatile value_type const& src) const {
    join_impl(dst, src);
  }
#endif
  template <class D, class S>
  KOKKOS_INLINE_FUNCTION static void join_impl(D& dst, S& src) {
    dst.fingerprint += src.fingerprint;
    dst.count += src.count;
    dst.sum += src.sum;
    dst.sum_sq += src.sum_sq;
    dst.min = src.min < dst.min ? src.min : dst.min;
    dst.max = src.max > dst.max ? src.max : dst.max;
  }
};

// The fingerprint alone (what --verify-layout compares): a plain wrapping
// sum, so Kokkos' built-in Sum reducer does it.
template <class T>
struct HashFunctor {
  Kokkos::View<T const*, Layout, MemSpace> data;
  SpanMap map;

  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t item, std::uint64_t& acc) const {
    Span const s = map.span(item);
    for (std::uint64_t g = s.lo; g < s.hi; ++g) acc += element_hash(g, to_bits(data(s.local_of(g))));
  }
};

template <class T>
ValueStats reduce_stats(Parameter const& p, Kokkos::View<T*, Layout, MemSpace> const& view, KernelPath path,
                        LaunchShape* launched) {
  StatsFunctor<T> f{view, make_span_map(KernelKind::stats, make_box_rows(p.shape(), p.local_box()), path)};
  if (launched) *launched = f.map.shape;
  ValueStats result = ValueStats::empty();
  if (f.map.shape.work_items == 0) return result;
  Kokkos::parallel_reduce("stats:" + p.fqn(), Kokkos::RangePolicy<ExecSpace>(0, f.map.shape.work_items), f, result);
  return result;
}

template <class T>
std::uint64_t reduce_hash(Parameter const& p, Kokkos::View<T*, Layout, MemSpace> const& view, KernelPath path,
                          LaunchShape* launched) {
  HashFunctor<T> f{view, make_span_map(KernelKind::hash, make_box_rows(p.shape(), p.local_box()), path)};
  if (launched) *launched = f.map.shape;
  std::uint64_t result = 0;
  if (f.map.shape.work_items == 0) return result;
  Kokkos::parallel_reduce("hash:" + p.fqn(), Kokkos::RangePolicy<ExecSpace>(0, f.map.shape.work_items), f, result);
  return result;
}

}  // namespace

ValueStats local_stats(Parameter const& param) { return local_stats(param, default_kernel_path); }

ValueStats local_stats(Parameter const& param, KernelPath path, LaunchShape* launched) {
  if (launched) *launched = LaunchShape{};
  if (!param.allocated()) return ValueStats::empty();
  if (param.dtype() == DType::float32) return reduce_stats(param, param.f32(), path, launched);
  return reduce_stats(param, param.bf16(), path, launched);
}

std::uint64_t local_fingerprint(Parameter const& param, KernelPath path, LaunchShape* launched) {
  if (launched) *launched = LaunchShape{};
  if (!param.allocated()) return 0;
  if (param.dtype() == DType::float32) return reduce_hash(param, param.f32(), path, launched);
  return reduce_hash(param, param.bf16(), path, launched);
}

}  // namespace titan
