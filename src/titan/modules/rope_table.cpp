#include "titan/modules/rope_table.hpp"

#include "titan/core/errors.hpp"
#include "titan/modules/rope_sincos.hpp"

#include <Kokkos_Core.hpp>

#include <algorithm>
#include <vector>

namespace titan {
namespace {

// Host path: (cos, sin) pairs per work item; its loops over them vectorize.
constexpr std::int64_t rope_chunk_pairs = 64;
// Pairs per launch: progress is reported between launches.
constexpr std::int64_t rope_slab_pairs = std::int64_t(1) << 24;

// Elements the kernel could not vouch for: their table indices, appended
// atomically (the slots past the capacity are counted, not stored).
struct FlagList {
  Kokkos::View<std::uint64_t*, Layout, MemSpace> index;
  Kokkos::View<std::uint64_t, MemSpace> count;

  KOKKOS_INLINE_FUNCTION void add(std::uint64_t element) const {
    std::uint64_t const slot = Kokkos::atomic_fetch_add(&count(), std::uint64_t(1));
    if (slot < index.extent(0)) index(slot) = element;
  }
};

// Generic (device) path: one (cos, sin) pair per work item.
struct RopePairs {
  Kokkos::View<float const*, Layout, MemSpace> freqs;
  float* out;
  std::int64_t half, first_pair;
  FlagList flags;
  double limit;

  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t item) const {
    std::int64_t const i = first_pair + item;
    std::int64_t const p = i / half, j = i - p * half;
    float c, s;
    int ok;
    rope_sincos(static_cast<float>(p) * freqs(j), limit, c, s, ok);
    out[2 * i] = c;
    out[2 * i + 1] = s;
    if (!(ok & 1)) flags.add(static_cast<std::uint64_t>(2 * i));
    if (!(ok & 2)) flags.add(static_cast<std::uint64_t>(2 * i + 1));
  }
};

// Host path: rope_chunk_pairs pairs per work item; the angles by a scalar
// walk over (p, j), then the values, the stores and the flags in fixed-length loops.
struct RopeChunks {
  Kokkos::View<float const*, Layout, MemSpace> freqs;
  float* out;
  std::int64_t half, first_pair, end_pair;
  FlagList flags;
  double limit;

  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t item) const {
    constexpr int C = static_cast<int>(rope_chunk_pairs);
    std::int64_t const i0 = first_pair + item * rope_chunk_pairs;
    int const count = static_cast<int>(end_pair - i0 < rope_chunk_pairs ? end_pair - i0 : rope_chunk_pairs);
    float angle[C], cv[C], sv[C];
    int ok[C];
    std::int64_t p = i0 / half, j = i0 - p * half;
    for (int c = 0; c < C; ++c) {
      angle[c] = static_cast<float>(p) * freqs(j);
      if (++j == half) {
        j = 0;
        ++p;
      }
    }
    for (int c = 0; c < C; ++c) rope_sincos(angle[c], limit, cv[c], sv[c], ok[c]);
    float* const dst = out + 2 * i0;
    for (int c = 0; c < count; ++c) {
      dst[2 * c] = cv[c];
      dst[2 * c + 1] = sv[c];
    }
    int bad = 0;  // a separate loop: a reduction inside the one above stops it vectorizing
    for (int c = 0; c < C; ++c) bad += ok[c] != 3;
    if (bad)
      for (int c = 0; c < count; ++c) {
        std::uint64_t const e = static_cast<std::uint64_t>(2 * (i0 + c));
        if (!(ok[c] & 1)) flags.add(e);
        if (!(ok[c] & 2)) flags.add(e + 1);
      }
  }
};

}  // namespace

RopeTableFill fill_rope_buffer(RoPEConfig const& c, View1<float> const& table,
                               std::function<void(double)> const& progress, KernelPath path,
                               double fast_angle_limit) {
  RopeTableFill r;
  std::int64_t const half = c.dim / 2;
  std::int64_t const pairs = c.max_seq_len * half;
  r.elements = 2 * pairs;
  if (static_cast<std::int64_t>(table.extent(0)) != r.elements)
    throw RunError("RoPE table: the buffer holds " + std::to_string(table.extent(0)) + " floats, the table " +
                   std::to_string(r.elements));
  std::vector<float> const f = rope_frequencies(c);
  Kokkos::View<float*, Layout, MemSpace> freqs("rope_freqs", static_cast<std::size_t>(half));
  Kokkos::deep_copy(freqs, Kokkos::View<float const*, Layout, HostSpace, Kokkos::MemoryUnmanaged>(f.data(), f.size()));

  // Room for far more flags than the ~2^-23 rate of values near a float's
  // rounding boundary gives; past it the whole table goes to the reference.
  std::int64_t const capacity = std::min<std::int64_t>(r.elements, 65536 + r.elements / 65536);
  FlagList flags{Kokkos::View<std::uint64_t*, Layout, MemSpace>("rope_flags", static_cast<std::size_t>(capacity)),
                 Kokkos::View<std::uint64_t, MemSpace>("rope_flag_count")};

  bool const chunked = path == KernelPath::host_chunked;
  r.shape.group = chunked ? rope_chunk_pairs : 1;
  for (std::int64_t first = 0; first < pairs; first += rope_slab_pairs) {
    std::int64_t const end = std::min(pairs, first + rope_slab_pairs);
    if (chunked) {
      std::int64_t const items = (end - first + rope_chunk_pairs - 1) / rope_chunk_pairs;
      Kokkos::parallel_for("init:rope_table", Kokkos::RangePolicy<ExecSpace>(0, items),
                           RopeChunks{freqs, table.data(), half, first, end, flags, fast_angle_limit});
      r.shape.work_items += items;
    } else {
      Kokkos::parallel_for("init:rope_table", Kokkos::RangePolicy<ExecSpace>(0, end - first),
                           RopePairs{freqs, table.data(), half, first, flags, fast_angle_limit});
      r.shape.work_items += end - first;
    }
    if (progress) {
      Kokkos::fence();
      progress(static_cast<double>(2 * (end - first)));
    }
  }

  std::uint64_t flagged = 0;
  Kokkos::deep_copy(flagged, flags.count);
  r.flagged = static_cast<std::int64_t>(flagged);
  if (r.flagged > capacity) {  // angles beyond the fast path's range: the reference does it all
    auto host = Kokkos::create_mirror_view(table);
    fill_rope_table(c, host.data());
    Kokkos::deep_copy(table, host);
    r.whole_table_on_host = true;
    return r;
  }
  if (r.flagged == 0) return r;
  // The flagged elements by the reference, on the host, then scattered into place.
  auto index = Kokkos::create_mirror_view_and_copy(HostSpace(), Kokkos::subview(flags.index, std::make_pair(std::int64_t(0), r.flagged)));
  Kokkos::View<float*, Layout, HostSpace> values("rope_fixed", static_cast<std::size_t>(r.flagged));
  for (std::int64_t k = 0; k < r.flagged; ++k) values(k) = rope_table_value(f, static_cast<std::int64_t>(index(k)));
  auto dev_index = Kokkos::create_mirror_view_and_copy(MemSpace(), index);
  auto dev_values = Kokkos::create_mirror_view_and_copy(MemSpace(), values);
  float* const out = table.data();
  Kokkos::parallel_for(
      "init:rope_table_fixups", Kokkos::RangePolicy<ExecSpace>(0, r.flagged),
      KOKKOS_LAMBDA(std::int64_t k) { out[dev_index(k)] = dev_values(k); });
  Kokkos::fence();
  return r;
}

}  // namespace titan
