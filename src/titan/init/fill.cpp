#include "titan/init/fill.hpp"

#include "titan/core/errors.hpp"
#include "titan/core/types.hpp"
#include "titan/init/box_rows.hpp"
#include "titan/init/fill_kernels.hpp"
#include "titan/init/samplers.hpp"
#include "titan/init/span_map.hpp"

#include <cmath>
#include <limits>

namespace titan {

BoxRows make_box_rows(Shape const& shape, Box const& box) {
  BoxRows br;
  br.rank = static_cast<int>(shape.size());
  if (br.rank < 1 || br.rank > max_tensor_rank)
    throw RunError("tensors of rank " + std::to_string(br.rank) + " are not supported (1.." +
                   std::to_string(max_tensor_rank) + ")");
  std::int64_t stride = 1;
  for (int d = br.rank - 1; d >= 0; --d) {
    br.offset[d] = box.offset[d];
    br.extent[d] = box.extent[d];
    br.global_stride[d] = stride;
    stride *= shape[d];
  }
  // Merge the last dimension into the one before while the box covers it
  // whole: then consecutive rows are consecutive in the global tensor too.
  // The merged dimension counts in units of the last one's stride.
  std::int64_t last_len = shape[br.rank - 1];  // global length of the (merged) last dimension
  while (br.rank > 1 && br.offset[br.rank - 1] == 0 && br.extent[br.rank - 1] == last_len) {
    int const d = br.rank - 2;
    br.offset[d] *= last_len;
    br.extent[d] *= last_len;
    br.global_stride[d] = br.global_stride[d + 1];
    last_len *= shape[d];
    --br.rank;
  }
  br.rows = 1;
  for (int d = 0; d + 1 < br.rank; ++d) br.rows *= br.extent[d];
  br.row_len = br.extent[br.rank - 1];
  if (br.row_len == 0) br.rows = 0;
  return br;
}

float round_inward_f32(double bound, bool upper) {
  if (std::isinf(bound)) return static_cast<float>(bound);
  float f = static_cast<float>(bound);
  if (upper && f > bound) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
  if (!upper && f < bound) f = std::nextafter(f, std::numeric_limits<float>::infinity());
  return f;
}

// The bfloat16 value nearest to `bound` on its inner side (largest <= an
// upper bound, smallest >= a lower bound). Clearing the low 16 bits of a
// float rounds it toward zero; when that moves it outward, step one bf16 ulp
// away from zero (adding 0x10000 to the bits grows the magnitude).
float round_inward_bf16(double bound, bool upper) {
  float const f = round_inward_f32(bound, upper);
  if (std::isinf(f)) return f;
  std::uint32_t const bits = float_bits(f) & 0xFFFF0000u;
  float const t = bits_float(bits);
  bool const outward = upper ? t > f : t < f;
  return outward ? bits_float(bits + 0x10000u) : t;
}

void storage_bounds(InitSpec const& spec, DType dtype, float& lo, float& hi) {
  double a = -std::numeric_limits<double>::infinity(), b = std::numeric_limits<double>::infinity();
  if (spec.kind == InitKind::trunc_normal || spec.kind == InitKind::uniform) {
    a = spec.a;
    b = spec.b;
  }
  if (dtype == DType::float32) {
    lo = round_inward_f32(a, false);
    hi = round_inward_f32(b, true);
  } else {
    lo = round_inward_bf16(a, false);
    hi = round_inward_bf16(b, true);
  }
}

NormalSampler make_normal_sampler(InitSpec const& spec) {
  double lo = 0.0, hic = 0.0;
  if (spec.kind == InitKind::trunc_normal) {
    lo = normal_cdf((spec.a - spec.mean) / spec.std);
    hic = normal_cdf(-(spec.b - spec.mean) / spec.std);  // 1 - Phi(b'), without cancellation
  }
  return NormalSampler{static_cast<float>(spec.mean), static_cast<float>(spec.std), static_cast<float>(lo),
                       static_cast<float>(1.0 - lo - hic), static_cast<float>(hic)};
}

UniformSampler make_uniform_sampler(InitSpec const& spec) {
  return UniformSampler{static_cast<float>(spec.a), static_cast<float>(spec.b - spec.a)};
}

namespace {

template <class Sampler, class Store, class View>
FillResult fill_random(std::string const& fqn, BoxRows const& rows, PhiloxKey key, View const& view, Sampler sample,
                       Store store, KernelPath path) {
  SpanMap const map = make_span_map(KernelKind::fill, rows, path);
  FillResult r{map.shape, ValueStats::empty(), true};
  if (map.shape.work_items == 0) return r;
  Kokkos::RangePolicy<ExecSpace> const policy(0, map.shape.work_items);
  if (path == KernelPath::generic)
    Kokkos::parallel_reduce("init:" + fqn, policy, FillBlocks<Sampler, Store>{map, key, view.data(), sample, store},
                            r.stats);
  else
    Kokkos::parallel_reduce("init:" + fqn, policy, FillChunks<Sampler, Store>{map, key, view.data(), sample, store},
                            r.stats);
  return r;
}

// Constant kinds: a store of one value per element, in spans of the stats
// kernel's shape (one element per work item on a device).
template <class T>
FillResult fill_constant(std::string const& fqn, BoxRows const& rows, T* out, T value, KernelPath path) {
  SpanMap const map = make_span_map(KernelKind::stats, rows, path);
  FillResult r{map.shape, ValueStats::empty(), true};
  if (map.shape.work_items == 0) return r;
  Kokkos::parallel_reduce("init:" + fqn, Kokkos::RangePolicy<ExecSpace>(0, map.shape.work_items),
                          FillConstant<T>{map, out, value}, r.stats);
  return r;
}

template <class Store, class Out>
FillResult fill_kind(Parameter& p, InitSpec const& spec, std::uint64_t seed, Out const& out, Store store,
                     KernelPath path) {
  BoxRows const rows = make_box_rows(p.shape(), p.local_box());
  PhiloxKey const key = philox_key(seed, p.fqn());
  switch (spec.kind) {
    case InitKind::normal:
    case InitKind::trunc_normal: return fill_random(p.fqn(), rows, key, out, make_normal_sampler(spec), store, path);
    case InitKind::uniform: return fill_random(p.fqn(), rows, key, out, make_uniform_sampler(spec), store, path);
    case InitKind::ones: return fill_constant(p.fqn(), rows, out.data(), store(1.0f), path);
    case InitKind::zeros: return fill_constant(p.fqn(), rows, out.data(), store(0.0f), path);
    case InitKind::constant: return fill_constant(p.fqn(), rows, out.data(), store(static_cast<float>(spec.value)), path);
    case InitKind::skip: break;
  }
  return FillResult{};
}

}  // namespace

void fill_parameter(Parameter& param, InitSpec const& spec, std::uint64_t seed) {
  fill_parameter_with_stats(param, spec, seed, default_kernel_path);
}

LaunchShape fill_parameter(Parameter& param, InitSpec const& spec, std::uint64_t seed, KernelPath path) {
  return fill_parameter_with_stats(param, spec, seed, path).shape;
}

FillResult fill_parameter_with_stats(Parameter& param, InitSpec const& spec, std::uint64_t seed, KernelPath path) {
  if (spec.kind == InitKind::skip) return FillResult{};
  if (!param.allocated()) throw RunError(param.fqn() + ": init_states on a parameter that was never allocated");
  float lo, hi;
  storage_bounds(spec, param.dtype(), lo, hi);
  FillResult r = param.dtype() == DType::float32 ? fill_kind(param, spec, seed, param.f32(), StoreF32{lo, hi}, path)
                                                 : fill_kind(param, spec, seed, param.bf16(), StoreBF16{lo, hi}, path);
  r.stats.fold();
  return r;
}

double reference_value(InitSpec const& spec, std::uint64_t seed, std::string const& fqn, DType dtype,
                       std::uint64_t global_index) {
  float lo, hi;
  storage_bounds(spec, dtype, lo, hi);
  float x = 0.0f;
  std::uint32_t const r = philox_word(philox_key(seed, fqn), global_index);
  switch (spec.kind) {
    case InitKind::normal:
    case InitKind::trunc_normal: x = make_normal_sampler(spec)(r); break;
    case InitKind::uniform: x = make_uniform_sampler(spec)(r); break;
    case InitKind::ones: x = 1.0f; break;
    case InitKind::zeros: x = 0.0f; break;
    case InitKind::constant: x = static_cast<float>(spec.value); break;
    case InitKind::skip: return std::numeric_limits<double>::quiet_NaN();
  }
  if (dtype == DType::float32) return StoreF32{lo, hi}(x);
  return bf16_to_float(StoreBF16{lo, hi}(x));
}

}  // namespace titan
