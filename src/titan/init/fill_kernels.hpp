// The two fill kernels, one work item per span of span_map.hpp. Both write
// to element g the value sample(word g mod 4 of Philox block g / 4), the
// deep-tail fallback (sample.slow) taken exactly when the fast path's tail
// probability is below deep_tail, as reference_value() does.
#pragma once

#include "titan/init/counter_rng.hpp"
#include "titan/init/philox_chunk.hpp"
#include "titan/init/samplers.hpp"
#include "titan/init/span_map.hpp"

#include <cstdint>

namespace titan {

//! Generic (device) path: a work item is one Philox4x32 block, 4 outputs;
//! neighbouring work items store neighbouring groups of 4 elements.
template <class Sampler, class Store>
struct FillBlocks {
  SpanMap map;
  PhiloxKey key;
  typename Store::value_type* out;
  Sampler sample;
  Store store;

  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t item) const {
    Span const s = map.span(item);
    if (s.empty()) return;
    auto const words = philox_block(key, s.first >> 2);
    for (int k = 0; k < 4; ++k) {
      std::uint64_t const g = s.first + static_cast<std::uint64_t>(k);
      if (g >= s.lo && g < s.hi) out[s.local_of(g)] = store(sample(words.v[k]));
    }
  }
};

//! Host path: a work item is a 128-element chunk (32 Philox blocks). Random
//! words for the whole chunk, then values for the whole chunk, then the
//! stores: loops of fixed length that vectorize. Chunk elements outside the
//! span are computed and dropped (at most 127 per row end).
template <class Sampler, class Store>
struct FillChunks {
  SpanMap map;
  PhiloxKey key;
  typename Store::value_type* out;
  Sampler sample;
  Store store;

  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t item) const {
    Span const s = map.span(item);
    if (s.empty()) return;
    std::uint32_t words[philox_chunk_words];
    float values[philox_chunk_words];
    float tails[philox_chunk_words];
    philox_chunk(key, s.first >> 2, words);
    for (int i = 0; i < philox_chunk_words; ++i) values[i] = sample.fast(words[i], tails[i]);
    int deep = 0;  // a separate loop: a reduction inside the one above stops it vectorizing
    for (int i = 0; i < philox_chunk_words; ++i) deep += tails[i] < deep_tail;
    if (deep)
      for (int i = 0; i < philox_chunk_words; ++i)
        if (tails[i] < deep_tail) values[i] = sample.slow(words[i]);
    int const skip = static_cast<int>(s.lo - s.first);
    int const count = static_cast<int>(s.hi - s.lo);
    typename Store::value_type* const dst = out + s.local;
    for (int i = 0; i < count; ++i) dst[i] = store(values[skip + i]);
  }
};

}  // namespace titan
