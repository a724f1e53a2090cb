// The fill kernels, one work item per span of span_map.hpp. The random ones
// write to element g the value sample(word g mod 4 of Philox block g / 4)
// (samplers.hpp; the deep-tail fallback sample.slow taken exactly when the
// fast path's tail probability is below deep_tail, as reference_value() does). Every
// kernel is a reduction: it also accumulates the ValueStats of the values it
// stores (after rounding to the storage type), so the statistics and the
// fingerprint need no second pass over memory (issue 20).
#pragma once

#include "titan/init/counter_rng.hpp"
#include "titan/init/philox_chunk.hpp"
#include "titan/init/samplers.hpp"
#include "titan/init/span_map.hpp"
#include "titan/init/stats_accumulate.hpp"

#include <cstdint>

namespace titan {

//! Generic (device) path: a work item is one Philox4x32 block, 4 outputs;
//! neighbouring work items store neighbouring groups of 4 elements.
template <class Sampler, class Store>
struct FillBlocks {
  using value_type = ValueStats;
  SpanMap map;
  PhiloxKey key;
  typename Store::value_type* out;
  Sampler sample;
  Store store;

  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t item, ValueStats& acc) const {
    Span const s = map.span(item);
    if (s.empty()) return;
    auto const words = philox_block(key, s.first >> 2);
    for (int k = 0; k < 4; ++k) {
      std::uint64_t const g = s.first + static_cast<std::uint64_t>(k);
      if (g >= s.lo && g < s.hi) {
        typename Store::value_type const v = store(sample(words.v[k]));
        out[s.local_of(g)] = v;
        stats_add(acc, g, v);
      }
    }
  }
  TITAN_VALUE_STATS_REDUCTION
};

//! Host path: a work item is a 128-element chunk (32 Philox blocks). Random
//! words for the whole chunk, then values for the whole chunk, then the
//! stores: loops of fixed length that vectorize. Chunk elements outside the
//! span are computed and dropped (at most 127 per row end). The statistics
//! of a whole chunk are taken in lanes (stats_add_chunk), of a partial one
//! (a row's ends) element by element.
template <class Sampler, class Store>
struct FillChunks {
  using value_type = ValueStats;
  SpanMap map;
  PhiloxKey key;
  typename Store::value_type* out;
  Sampler sample;
  Store store;

  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t item, ValueStats& acc) const {
    Span const s = map.span(item);
    if (s.empty()) return;
    std::uint32_t words[philox_chunk_words];
    float values[philox_chunk_words];
    std::int32_t rare[philox_chunk_words];
    philox_chunk(key, s.first >> 2, words);
    // The common formula for every word (normal: the quantile's central
    // branch), then the whole sampler for the few words it does not cover
    // (the tail branch and the deep tail): the values of operator(), bit for bit.
    sample.template chunk_values<philox_chunk_words>(words, values, rare);
    // Rare words: a third of the normal chunks have one (none for a
    // truncation inside +-2.9 sigma). Such a chunk is looked at in groups of
    // 16 flags (one vector) and only a group that has one (about one in
    // twenty) is scanned word by word.
    std::int32_t any = 0;  // a separate loop: a reduction inside the one above stops it vectorizing
    for (int i = 0; i < philox_chunk_words; ++i) any |= rare[i];
    if (any) {
      constexpr int rare_group = 16;
      for (int g = 0; g < philox_chunk_words; g += rare_group) {
        std::int32_t group_any = 0;
        for (int i = g; i < g + rare_group; ++i) group_any |= rare[i];
        if (group_any)
          for (int i = g; i < g + rare_group; ++i)
            if (rare[i]) values[i] = sample(words[i]);
      }
    }
    using T = typename Store::value_type;
    T stored[philox_chunk_words];
    for (int i = 0; i < philox_chunk_words; ++i) stored[i] = store(values[i]);
    int const skip = static_cast<int>(s.lo - s.first);
    int const count = static_cast<int>(s.hi - s.lo);
    T* const dst = out + s.local;
    if (count == philox_chunk_words) {  // a whole chunk (then skip == 0): fixed-length loops
      for (int i = 0; i < philox_chunk_words; ++i) dst[i] = stored[i];
      stats_add_chunk<philox_chunk_words>(acc, s.lo, stored);
    } else {
      for (int i = 0; i < count; ++i) {
        dst[i] = stored[skip + i];
        stats_add(acc, s.lo + static_cast<std::uint64_t>(i), stored[skip + i]);
      }
    }
  }
  TITAN_VALUE_STATS_REDUCTION
};

//! ones / zeros / constant: every element gets `value`; a work item is one
//! span of the stats kernel's shape (one element on a device, 4096 on the
//! host). The sums of a span are its count times the value, the hash is per
//! element (it depends on the global index).
template <class T>
struct FillConstant {
  using value_type = ValueStats;
  SpanMap map;
  T* out;
  T value;

  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t item, ValueStats& acc) const {
    Span const s = map.span(item);
    if (s.empty()) return;
    T* const dst = out + s.local;
    std::int64_t const count = static_cast<std::int64_t>(s.hi - s.lo);
    std::uint32_t const bits = stored_bits(value);
    std::uint64_t h = 0;
    for (std::int64_t i = 0; i < count; ++i) {
      dst[i] = value;
      h += element_hash(s.lo + static_cast<std::uint64_t>(i), bits);
    }
    double const v = stored_float(value), n = static_cast<double>(count);
    acc.fingerprint += h;
    acc.count += n;
    acc.sum += n * v;
    acc.sum_sq += n * (v * v);
    acc.min = v < acc.min ? v : acc.min;
    acc.max = v > acc.max ? v : acc.max;
  }
  TITAN_VALUE_STATS_REDUCTION
};

}  // namespace titan
