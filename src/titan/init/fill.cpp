#include "titan/init/fill.hpp"

#include "titan/core/errors.hpp"
#include "titan/core/types.hpp"
#include "titan/init/box_rows.hpp"
#include "titan/init/philox_chunk.hpp"
#include "titan/init/samplers.hpp"

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

// One run of consecutive global indices [g0, g0 + n) written to out[0 .. n).
// Works in chunks of 64 elements aligned to Philox blocks: random words for
// the whole chunk, then values for the whole chunk, then the stores, three
// loops of fixed length that vectorize. Elements of the chunk outside the
// run are computed and dropped (at most 63 per run).
template <class Sampler, class Store>
KOKKOS_INLINE_FUNCTION void fill_run(PhiloxKey key, std::uint64_t g0, std::int64_t n,
                                     typename Store::value_type* out, Sampler const& sample, Store const& store) {
  std::uint32_t words[philox_chunk_words];
  float values[philox_chunk_words];
  float tails[philox_chunk_words];
  std::int64_t j = 0;
  while (j < n) {
    std::uint64_t const g = g0 + static_cast<std::uint64_t>(j);
    std::uint64_t const chunk_start = g & ~static_cast<std::uint64_t>(philox_chunk_words - 1);
    int const skip = static_cast<int>(g - chunk_start);
    std::int64_t const left = n - j;
    int const count = left < philox_chunk_words - skip ? static_cast<int>(left) : philox_chunk_words - skip;
    philox_chunk(key, chunk_start >> 2, words);
    for (int i = 0; i < philox_chunk_words; ++i) values[i] = sample.fast(words[i], tails[i]);
    int deep = 0;  // a separate loop: a reduction inside the one above stops it vectorizing
    for (int i = 0; i < philox_chunk_words; ++i) deep += tails[i] < deep_tail;
    if (deep)
      for (int i = 0; i < philox_chunk_words; ++i)
        if (tails[i] < deep_tail) values[i] = sample.slow(words[i]);
    for (int i = 0; i < count; ++i) out[j + i] = store(values[skip + i]);
    j += count;
  }
}

template <class Sampler, class Store, class View>
void fill_random(std::string const& fqn, BoxRows const& rows, PhiloxKey key, View const& view, Sampler sample,
                 Store store) {
  typename Store::value_type* const data = view.data();
  Kokkos::parallel_for(
      "init:" + fqn, Kokkos::RangePolicy<ExecSpace>(0, rows.rows), KOKKOS_LAMBDA(std::int64_t r) {
        fill_run(key, rows.row_start(r), rows.row_len, data + r * rows.row_len, sample, store);
      });
}

template <class Store, class Out>
void fill_kind(Parameter& p, InitSpec const& spec, std::uint64_t seed, Out const& out, Store store) {
  BoxRows const rows = make_box_rows(p.shape(), p.local_box());
  PhiloxKey const key = philox_key(seed, p.fqn());
  switch (spec.kind) {
    case InitKind::normal:
    case InitKind::trunc_normal: fill_random(p.fqn(), rows, key, out, make_normal_sampler(spec), store); break;
    case InitKind::uniform: fill_random(p.fqn(), rows, key, out, make_uniform_sampler(spec), store); break;
    case InitKind::ones: Kokkos::deep_copy(out, store(1.0f)); break;
    case InitKind::zeros: Kokkos::deep_copy(out, store(0.0f)); break;
    case InitKind::constant: Kokkos::deep_copy(out, store(static_cast<float>(spec.value))); break;
    case InitKind::skip: break;
  }
}

}  // namespace

void fill_parameter(Parameter& param, InitSpec const& spec, std::uint64_t seed) {
  if (spec.kind == InitKind::skip) return;
  if (!param.allocated()) throw RunError(param.fqn() + ": init_states on a parameter that was never allocated");
  float lo, hi;
  storage_bounds(spec, param.dtype(), lo, hi);
  if (param.dtype() == DType::float32)
    fill_kind(param, spec, seed, param.f32(), StoreF32{lo, hi});
  else
    fill_kind(param, spec, seed, param.bf16(), StoreBF16{lo, hi});
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
