#include "titan/init/fingerprint.hpp"

#include "titan/core/bf16.hpp"
#include "titan/core/types.hpp"
#include "titan/init/box_rows.hpp"
#include "titan/init/counter_rng.hpp"

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

// Kokkos reduction over the rows of a box. A functor (not a lambda) because
// Kokkos 3.4 reduces a struct only through init/join members.
template <class T>
struct StatsFunctor {
  using value_type = ValueStats;
  Kokkos::View<T const*, Layout, MemSpace> data;
  BoxRows rows;

  KOKKOS_INLINE_FUNCTION static float to_float(float v) { return v; }
  KOKKOS_INLINE_FUNCTION static float to_float(std::uint16_t v) { return bf16_to_float(v); }
  KOKKOS_INLINE_FUNCTION static std::uint32_t to_bits(float v) { return float_bits(v); }
  KOKKOS_INLINE_FUNCTION static std::uint32_t to_bits(std::uint16_t v) { return v; }

  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t r, value_type& acc) const {
    std::uint64_t const g0 = rows.row_start(r);
    std::int64_t const l0 = r * rows.row_len;
    for (std::int64_t j = 0; j < rows.row_len; ++j) {
      T const raw = data(l0 + j);
      double const v = to_float(raw);
      acc.fingerprint += element_hash(g0 + static_cast<std::uint64_t>(j), to_bits(raw));
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

template <class T>
ValueStats reduce_stats(Parameter const& p, Kokkos::View<T*, Layout, MemSpace> const& view) {
  StatsFunctor<T> f{view, make_box_rows(p.shape(), p.local_box())};
  ValueStats result = ValueStats::empty();
  if (f.rows.rows == 0) return result;
  Kokkos::parallel_reduce("stats:" + p.fqn(), Kokkos::RangePolicy<ExecSpace>(0, f.rows.rows), f, result);
  return result;
}

}  // namespace

ValueStats local_stats(Parameter const& param) {
  if (!param.allocated()) return ValueStats::empty();
  if (param.dtype() == DType::float32) return reduce_stats(param, param.f32());
  return reduce_stats(param, param.bf16());
}

}  // namespace titan
