#include "titan/compute/param_gather.hpp"

#include "titan/core/bf16.hpp"
#include "titan/core/errors.hpp"
#include "titan/compute/shard_group.hpp"
#include "titan/parallel/collective.hpp"

#include <algorithm>
#include <climits>
#include <cstring>

namespace titan {

namespace {

// Calls fn(global coordinates of the segment start) for every contiguous
// last-dimension segment of `sub` (extent sub.extent.back()).
template <class F>
void for_each_segment(Box const& sub, F&& fn) {
  std::size_t const rank = sub.offset.size();
  if (sub.numel() == 0) return;
  std::vector<std::int64_t> idx(sub.offset);
  while (true) {
    fn(idx);
    if (rank == 1) return;
    std::size_t d = rank - 1;  // advance the multi-index over dims 0..rank-2
    while (d-- > 0) {
      if (++idx[d] < sub.offset[d] + sub.extent[d]) break;
      idx[d] = sub.offset[d];
      if (d == 0) return;
    }
  }
}

// Row-major linear index of `g` in a block at `offset` with `extent`.
std::int64_t linear_in(std::vector<std::int64_t> const& g, Shape const& offset, Shape const& extent) {
  std::int64_t i = 0;
  for (std::size_t d = 0; d < g.size(); ++d) i = i * extent[d] + (g[d] - offset[d]);
  return i;
}

float widen(float v) { return v; }
float widen(bf16_bits v) { return bf16_to_float(v); }

}  // namespace

ParamGather::ParamGather(MeshComm const& mc) : _mc(mc) {}

bool ParamGather::fully_local(ShardedTensor const& p, MeshDimMask keep) const {
  return p.dtype() == DType::float32 && (shard_dims(p.placements(), _mc.mesh()) & ~keep) == 0;
}

void ParamGather::reserve(std::int64_t elems) {
  std::size_t const n = static_cast<std::size_t>(elems);
  _now.send.reserve(n);
  _now.recv.reserve(n);
  if (!Kokkos::SpaceAccessibility<HostSpace, MemSpace>::accessible) _now.host_out.reserve(n);
}

std::int64_t ParamGather::InFlight::staging_bytes() const {
  return static_cast<std::int64_t>((send.capacity() + recv.capacity() + host_out.capacity()) * sizeof(float));
}

std::int64_t ParamGather::staging_bytes() const { return _now.staging_bytes(); }

Box ParamGather::rows_region(Shape const& shape, std::int64_t r0, std::int64_t r1) {
  Box b{Shape(shape.size(), 0), shape};
  b.offset[0] = r0;
  b.extent[0] = r1 - r0;
  return b;
}

void ParamGather::rows(ShardedTensor const& p, std::int64_t r0, std::int64_t r1, float* out) {
  region(p, rows_region(p.shape(), r0, r1), 0, out);
}

void ParamGather::region(ShardedTensor const& p, Box const& region, MeshDimMask keep, float* out) {
  post(p, region, keep, _now, true);
  finish(_now, out);
}

void ParamGather::start(ShardedTensor const& p, Box const& region, MeshDimMask keep, InFlight& f) {
  post(p, region, keep, f, false);
}

bool ParamGather::test(InFlight& f) {
  if (f.request == MPI_REQUEST_NULL) return true;
  int done = 0;
  TITAN_MPI_CHECK(MPI_Test(&f.request, &done, MPI_STATUS_IGNORE));
  return done != 0;
}

void ParamGather::post(ShardedTensor const& p, Box const& region, MeshDimMask keep, InFlight& f, bool blocking) {
  ShardGroup const g = shard_group(p.shape(), p.placements(), _mc, keep);
  f.p = &p;
  f.region = region;
  f.group_size = g.size;
  f.group_rank = g.rank;
  f.counts.assign(static_cast<std::size_t>(g.size), 0);
  f.displs.assign(static_cast<std::size_t>(g.size), 0);
  f.boxes.assign(static_cast<std::size_t>(g.size), Box{});
  collective(_mc.along(all_mesh_dims), [&] {  // a failure packing on one rank is every rank's, never a rank missing the Allgatherv
    // What every member of the shard group (one whole replica, or the part
    // of it that shares this rank's kept slice) contributes: its box,
    // clipped to the region.
    std::int64_t total = 0;
    for (int r = 0; r < g.size; ++r) {
      Box b = clip_to(g.boxes[static_cast<std::size_t>(r)], region);
      std::int64_t const n = b.numel();
      if (n > INT_MAX || total > INT_MAX) throw RunError("gathering " + p.fqn() + " needs smaller chunks (MPI int counts)");
      f.counts[r] = static_cast<int>(n);
      f.displs[r] = static_cast<int>(total);
      total += n;
      f.boxes[r] = std::move(b);
    }
    // Pack this rank's part (widened to float32).
    Box const& mine = f.boxes[g.rank];
    Box const& shard = p.local_box();
    f.send.resize(static_cast<std::size_t>(mine.numel()));
    if (mine.numel() > 0) {
      std::int64_t const seg = mine.extent.back();
      std::size_t k = 0;
      p.visit([&](auto const& view) {
        auto host = Kokkos::create_mirror_view_and_copy(HostSpace(), view);
        for_each_segment(mine, [&](std::vector<std::int64_t> const& gi) {
          auto const* src = host.data() + linear_in(gi, shard.offset, shard.extent);
          for (std::int64_t j = 0; j < seg; ++j) f.send[k++] = widen(src[j]);
        });
      });
    }
    f.recv.resize(static_cast<std::size_t>(g.size > 1 ? total : 0));
  });
  f.sent_bytes = g.size > 1 ? static_cast<std::int64_t>(f.send.size() * sizeof(float)) : 0;
  f.request = MPI_REQUEST_NULL;
  if (g.size == 1) return;  // the rank's box is the whole tensor: unpacked from `send`
  if (blocking)
    TITAN_MPI_CHECK(MPI_Allgatherv(f.send.data(), f.counts[g.rank], MPI_FLOAT, f.recv.data(), f.counts.data(),
                                   f.displs.data(), MPI_FLOAT, g.comm));
  else
    TITAN_MPI_CHECK(MPI_Iallgatherv(f.send.data(), f.counts[g.rank], MPI_FLOAT, f.recv.data(), f.counts.data(),
                                    f.displs.data(), MPI_FLOAT, g.comm, &f.request));
}

void ParamGather::finish(InFlight& f, float* out) {
  if (f.request != MPI_REQUEST_NULL) TITAN_MPI_CHECK(MPI_Wait(&f.request, MPI_STATUS_IGNORE));
  _sent_bytes = f.sent_bytes;
  std::vector<float> const& all = f.group_size > 1 ? f.recv : f.send;
  collective(_mc.along(all_mesh_dims), [&] {
    // Unpack every rank's box into the full rows.
    constexpr bool host_out = Kokkos::SpaceAccessibility<HostSpace, MemSpace>::accessible;
    float* dst = out;
    if (!host_out) {
      f.host_out.resize(static_cast<std::size_t>(f.region.numel()));
      dst = f.host_out.data();
    }
    Shape const& full_offset = f.region.offset;
    Shape const& full_extent = f.region.extent;
    for (int r = 0; r < f.group_size; ++r) {
      Box const& b = f.boxes[r];
      if (b.numel() == 0) continue;
      std::int64_t const seg = b.extent.back();
      float const* src = all.data() + f.displs[r];
      for_each_segment(b, [&](std::vector<std::int64_t> const& gi) {
        std::memcpy(dst + linear_in(gi, full_offset, full_extent), src, static_cast<std::size_t>(seg) * sizeof(float));
        src += seg;
      });
    }
    if (!host_out) {
      Kokkos::View<float*, HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> h(f.host_out.data(), f.host_out.size());
      Kokkos::View<float*, MemSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> d(out, f.host_out.size());
      Kokkos::deep_copy(d, h);
    }
  });
}

}  // namespace titan
