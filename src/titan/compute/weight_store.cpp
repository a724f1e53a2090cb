#include "titan/compute/weight_store.hpp"

#include "titan/compute/mpi_on_buffers.hpp"
#include "titan/compute/shard_group.hpp"
#include "titan/core/errors.hpp"
#include "titan/parallel/collective.hpp"

#include <algorithm>
#include <climits>

namespace titan {

namespace {

using Range = Kokkos::RangePolicy<ExecSpace>;

std::int64_t row_numel(Shape const& s) {
  std::int64_t r = 1;
  for (std::size_t d = 1; d < s.size(); ++d) r *= s[d];
  return r;
}

// Grows `v` to at least n elements (contents not kept).
void reserve(View1<float>& v, std::int64_t n, char const* label) {
  if (static_cast<std::int64_t>(v.extent(0)) >= n) return;
  v = View1<float>();
  v = View1<float>(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string(label)), static_cast<std::size_t>(n));
}

std::int64_t extents_numel(Shape const& e) {
  std::int64_t n = 1;
  for (auto v : e) n *= v;
  return n;
}

void fill_zero(float* p, std::int64_t n) {
  if (n > 0) Kokkos::deep_copy(View1<float>(p, static_cast<std::size_t>(n)), 0.0f);
}


// Shapes of rank 1-3 padded with trailing 1s, as the kernels below index them.
struct Padded3 {
  std::int64_t s[3] = {1, 1, 1}, o[3] = {0, 0, 0}, e[3] = {1, 1, 1};
  Padded3(Shape const& shape, Box const& box) {
    require_internal(shape.size() >= 1 && shape.size() <= 3, "gradient reduction of a tensor of rank " + std::to_string(shape.size()));
    for (std::size_t d = 0; d < shape.size(); ++d) {
      s[d] = shape[d];
      o[d] = box.offset[d];
      e[d] = box.extent[d];
    }
  }
};

// out[l] = rows[place of element l of `box` in `region`], `rows` holding the
// global tensor's `region` row-major; `box` lies inside the region.
void pack_box(float const* rows, Shape const& shape, Box const& region, Box const& box, float* out) {
  std::int64_t const n = box.numel();
  if (n == 0) return;
  Padded3 const q(shape, box), r(shape, region);
  std::int64_t const s1 = r.e[1], s2 = r.e[2], o0 = q.o[0] - r.o[0], o1 = q.o[1] - r.o[1], o2 = q.o[2] - r.o[2],
                     e1 = q.e[1], e2 = q.e[2];
  Kokkos::parallel_for("compute:grad_pack", Range(0, n), KOKKOS_LAMBDA(std::int64_t l) {
    std::int64_t const i2 = l % e2, i1 = (l / e2) % e1, i0 = l / (e1 * e2);
    out[l] = rows[((o0 + i0) * s1 + (o1 + i1)) * s2 + (o2 + i2)];
  });
}

// local[place of element l of `part` in `box`] += part_values[l], where
// `part` is `box` clipped to some rows (same extents beyond dim 0).
void add_part(float const* part_values, Shape const& shape, Box const& part, Box const& box, View1<float> local) {
  std::int64_t const n = part.numel();
  if (n == 0) return;
  Padded3 const q(shape, part);
  std::int64_t const e1 = q.e[1], e2 = q.e[2], skip = part.offset[0] - box.offset[0];
  Kokkos::parallel_for("compute:grad_add", Range(0, n), KOKKOS_LAMBDA(std::int64_t l) {
    local(skip * e1 * e2 + l) += part_values[l];
  });
}

// True when the members' clipped boxes lie one after another in the region
// (whole rows of it each, in member order), so that the region's values are
// already the send buffer of the reduce-scatter.
bool in_member_order(std::vector<Box> const& parts, Box const& region) {
  std::int64_t next = region.offset[0];
  for (Box const& b : parts) {
    if (b.numel() == 0) continue;
    if (b.offset[0] != next) return false;
    for (std::size_t d = 1; d < region.offset.size(); ++d)
      if (b.offset[d] != region.offset[d] || b.extent[d] != region.extent[d]) return false;
    next += b.extent[0];
  }
  return true;
}

}  // namespace

WeightStore::WeightStore(Mesh const& mesh, MPI_Comm comm, GradientSet* grads)
    : _mesh(mesh), _comm(comm), _grads(grads), _mesh_comm(mesh, comm), _gather(_mesh_comm) {
  MPI_Comm_size(comm, &_world);
  _tp_size = mesh.size(tp);
  _tp_rank = _mesh_comm.coords()[tp];
}

Box WeightStore::compute_region(Parameter const& p) const {
  return kept_region(p.shape(), p.placements(), _mesh, _mesh_comm.coords(), keep_of(p));
}

Shape const& WeightStore::extents(Parameter const& p) const {
  auto it = _region_at.find(&p);
  if (it == _region_at.end()) throw RunError("internal: " + p.fqn() + " was used before its group was gathered");
  return it->second.extent;
}

void WeightStore::tp_all_reduce(Act const& x) {
  if (_tp_size == 1) return;
  std::int64_t const n = static_cast<std::int64_t>(x.span());
  if (n > INT_MAX) throw RunError("a tensor-parallel all-reduce of " + std::to_string(n) + " values needs smaller chunks (MPI int counts)");
  double const t0 = MPI_Wtime();
  mpi_on_buffers(_device_pointers, x.data(), n, x.data(), n, _host_stage, [&](float const*, float* r) {
    TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, r, static_cast<int>(n), MPI_FLOAT, MPI_SUM, _mesh_comm.along_dim(tp)));
  });
  _comm_stats.all_reduce.seconds += MPI_Wtime() - t0;
  _comm_stats.all_reduce.calls += 1;
  _comm_stats.all_reduce.bytes += static_cast<double>(n) * sizeof(float);
}

WeightStore::~WeightStore() {
  try {
    drain();
  } catch (...) {  // an MPI error while unwinding: nothing more to do
  }
}

void WeightStore::drain() {
  for (std::size_t i = 0; i < _flights_used; ++i)
    if (_flights[i].request != MPI_REQUEST_NULL) MPI_Wait(&_flights[i].request, MPI_STATUS_IGNORE);
  _flights_used = 0;
  _next_group.clear();
  _flight_of.clear();
}

void WeightStore::prefetch(std::vector<Parameter const*> const& params) {
  if (!_prefetch || _world == 1) return;
  drain();
  double const t0 = MPI_Wtime();
  _next_group = params;
  for (Parameter const* p : params) {
    if (_gather.fully_local(*p, keep_of(*p))) {
      _flight_of.push_back(-1);
      continue;
    }
    if (_flights.size() <= _flights_used) _flights.emplace_back();
    _gather.start(*p, compute_region(*p), keep_of(*p), _flights[_flights_used]);
    _flight_of.push_back(static_cast<int>(_flights_used++));
  }
  _posted_at = MPI_Wtime();
  _all_done = false;
  _comm_stats.all_gather.seconds += _posted_at - t0;  // packing and posting
}

void WeightStore::progress() {
  if (_flights_used == 0 || _all_done) return;
  bool all = true;
  for (std::size_t i = 0; i < _flights_used; ++i) all = _gather.test(_flights[i]) && all;
  if (all) {
    _all_done = true;
    _done_at = MPI_Wtime();
  }
}

void WeightStore::gather(std::vector<Parameter const*> const& params) {
  release();
  bool const prefetched = !_next_group.empty() && params == _next_group;
  if (!prefetched) drain();  // every rank the same: the group asked for is not the one in flight
  _group = params;
  std::int64_t need = 0, largest = 0;
  for (Parameter const* p : params) {
    _region_at[p] = compute_region(*p);
    if (!_gather.fully_local(*p, keep_of(*p))) {
      need += _region_at[p].numel();
      largest = std::max(largest, _region_at[p].numel());
    }
  }
  collective(_comm, [&] {  // an allocation failing on one rank fails the gather on all
    reserve(_pool, need, "weights:pool");
    if (!prefetched) _gather.reserve(largest);
  });
  double const waited_from = MPI_Wtime();
  if (prefetched) _comm_stats.overlapped += (_all_done ? std::min(_done_at, waited_from) : waited_from) - _posted_at;
  std::int64_t used = 0;
  for (std::size_t k = 0; k < params.size(); ++k) {
    Parameter const* p = params[k];
    if (_gather.fully_local(*p, keep_of(*p))) {
      _at[p] = p->f32().data();
      continue;
    }
    float* dst = _pool.data() + used;
    if (prefetched) {
      ParamGather::InFlight& f = _flights[static_cast<std::size_t>(_flight_of[k])];
      _gather.finish(f, dst);
      _comm_stats.all_gather.calls += 1;
      _comm_stats.all_gather.bytes += static_cast<double>(f.sent_bytes);
    } else {
      double const t0 = MPI_Wtime();
      _gather.region(*p, _region_at[p], keep_of(*p), dst);
      Kokkos::fence();
      _comm_stats.all_gather.seconds += MPI_Wtime() - t0;
      _comm_stats.all_gather.calls += 1;
      _comm_stats.all_gather.bytes += static_cast<double>(_gather.last_send_bytes());
    }
    _at[p] = dst;
    used += _region_at[p].numel();
  }
  if (prefetched) {
    Kokkos::fence();
    _comm_stats.all_gather.seconds += MPI_Wtime() - waited_from;  // waiting and unpacking
    _flights_used = 0;
    _next_group.clear();
    _flight_of.clear();
  }
}

void WeightStore::gather_rows(Parameter const& p, std::int64_t r0, std::int64_t r1, float* out) {
  double const t0 = MPI_Wtime();
  _gather.region(p, ParamGather::rows_region(p.shape(), r0, r1), keep_of(p), out);
  Kokkos::fence();
  _comm_stats.all_gather.seconds += MPI_Wtime() - t0;
  _comm_stats.all_gather.calls += 1;
  _comm_stats.all_gather.bytes += static_cast<double>(_gather.last_send_bytes());
}

void WeightStore::release() {
  _group.clear();
  _at.clear();
  _region_at.clear();
  _grad_at.clear();
}

float* WeightStore::weight_data(Parameter const& p) const {
  auto it = _at.find(&p);
  if (it == _at.end()) throw RunError("internal: " + p.fqn() + " was used before its group was gathered");
  return it->second;
}

FVec WeightStore::vec(Parameter const& p) const {
  require_internal(p.shape().size() == 1, p.fqn() + ": not a vector");
  return FVec(weight_data(p), extents(p)[0]);
}
FMat WeightStore::mat(Parameter const& p) const {
  require_internal(p.shape().size() == 2, p.fqn() + ": not a matrix");
  return FMat(weight_data(p), extents(p)[0], extents(p)[1]);
}
F3 WeightStore::t3(Parameter const& p) const {
  require_internal(p.shape().size() == 3, p.fqn() + ": not a 3-D tensor");
  return F3(weight_data(p), extents(p)[0], extents(p)[1], extents(p)[2]);
}

std::array<std::int64_t, 2> WeightStore::row_range(Parameter const& p) const {
  Box const r = compute_region(p);
  return {r.offset[0], r.offset[0] + r.extent[0]};
}

FMat WeightStore::rows(Parameter const& p, std::int64_t r0, std::int64_t r1) {
  std::int64_t const row = row_numel(p.shape());
  if (_gather.fully_local(p, keep_of(p))) {  // this rank's shard is its whole compute region: rows of it
    Box const region = compute_region(p);
    require_internal(region.extent[0] * row == region.numel(), p.fqn() + ": rows of a region split on another dim");
    return FMat(p.f32().data() + (r0 - region.offset[0]) * row, r1 - r0, row);
  }
  collective(_comm, [&] {
    reserve(_rows_buf, (r1 - r0) * row, "weights:rows");
    _gather.reserve((r1 - r0) * row);
  });
  gather_rows(p, r0, r1, _rows_buf.data());
  return FMat(_rows_buf.data(), r1 - r0, row);
}

void WeightStore::begin_grads() {
  require_internal(training(), "gradients asked for in a forward pass");
  _grad_at.clear();
  if (_world == 1) {  // the gradient shard is the whole tensor: accumulate into it directly
    for (Parameter const* p : _group) _grad_at[p] = _grads->of(*p).f32().data();
    return;
  }
  std::int64_t need = 0;
  for (Parameter const* p : _group) need += extents_numel(extents(*p));
  reserve(_grad_pool, need, "weights:grad_pool");
  fill_zero(_grad_pool.data(), need);
  std::int64_t used = 0;
  for (Parameter const* p : _group) {
    _grad_at[p] = _grad_pool.data() + used;
    used += extents_numel(extents(*p));
  }
}

float* WeightStore::grad_data(Parameter const& p) const {
  auto it = _grad_at.find(&p);
  if (it == _grad_at.end()) throw RunError("internal: no gradient buffer for " + p.fqn() + " (begin_grads not called)");
  return it->second;
}

FVec WeightStore::grad_vec(Parameter const& p) const { return FVec(grad_data(p), extents(p)[0]); }
FMat WeightStore::grad_mat(Parameter const& p) const { return FMat(grad_data(p), extents(p)[0], extents(p)[1]); }
F3 WeightStore::grad_t3(Parameter const& p) const {
  return F3(grad_data(p), extents(p)[0], extents(p)[1], extents(p)[2]);
}

void WeightStore::reduce_into_shard(Parameter const& p, float* rows, Box const& region, MeshDimMask keep) {
  Shape const& shape = p.shape();
  // Tensor parallelism: the tp ranks of one data-parallel coordinate
  // computed this whole parameter's gradient identically (same sequences,
  // same inputs); only tp rank 0's copy counts, so that summing over the
  // groups below adds it once, exactly as without tp.
  bool const duplicate = _tp_size > 1 && _tp_rank != 0 && !split(p) && _tp_plan.partial.count(&p) == 0;
  if (duplicate) fill_zero(rows, region.numel());
  ShardGroup const g = shard_group(shape, p.placements(), _mesh_comm, keep);
  std::vector<Box> parts;
  std::vector<int> counts;
  std::int64_t total = 0;
  for (Box const& b : g.boxes) {
    parts.push_back(clip_to(b, region));
    std::int64_t const n = parts.back().numel();
    if (n > INT_MAX) throw RunError("reducing the gradient of " + p.fqn() + " needs smaller chunks (MPI int counts)");
    counts.push_back(static_cast<int>(n));
    total += n;
  }
  Box const& mine = parts[static_cast<std::size_t>(g.rank)];
  std::int64_t const n_mine = mine.numel();
  float* summed = rows;  // this rank's part, summed over the shard group
  if (g.size > 1) {
    // Reduce-scatter over the shard group: each member receives the sum of
    // its own part. The rows are the send buffer when the parts lie in
    // member order (Shard(0) on one dimension), else packed member by member.
    float const* send = rows;
    collective(_comm, [&] {
      reserve(_rs_recv, n_mine, "weights:reduce_scatter");
      if (!in_member_order(parts, region)) {
        reserve(_rs_send, total, "weights:reduce_scatter_send");
        std::int64_t at = 0;
        for (Box const& b : parts) {
          pack_box(rows, shape, region, b, _rs_send.data() + at);
          at += b.numel();
        }
        send = _rs_send.data();
      }
    });
    double const t0 = MPI_Wtime();
    mpi_on_buffers(_device_pointers, send, total, _rs_recv.data(), n_mine, _host_stage, [&](float const* s, float* r) {
      TITAN_MPI_CHECK(MPI_Reduce_scatter(s, r, counts.data(), MPI_FLOAT, MPI_SUM, g.comm));
    });
    _comm_stats.reduce_scatter.seconds += MPI_Wtime() - t0;
    _comm_stats.reduce_scatter.calls += 1;
    _comm_stats.reduce_scatter.bytes += static_cast<double>(total) * sizeof(float);
    summed = _rs_recv.data();
  }
  if (g.replica_count > 1) {  // the replicas of this box sum their parts
    double const t0 = MPI_Wtime();
    mpi_on_buffers(_device_pointers, summed, n_mine, summed, n_mine, _host_stage, [&](float const*, float* r) {
      TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, r, static_cast<int>(n_mine), MPI_FLOAT, MPI_SUM, g.replicas));
    });
    _comm_stats.all_reduce.seconds += MPI_Wtime() - t0;
    _comm_stats.all_reduce.calls += 1;
    _comm_stats.all_reduce.bytes += static_cast<double>(n_mine) * sizeof(float);
  }
  collective(_comm, [&] { add_part(summed, shape, mine, p.local_box(), _grads->of(p).f32()); });
}

void WeightStore::reduce_grads() {
  if (_world == 1) return;  // accumulated in place
  for (Parameter const* p : _group) reduce_into_shard(*p, grad_data(*p), _region_at.at(p), keep_of(*p));
}

FMat WeightStore::grad_rows(Parameter const& p, std::int64_t r0, std::int64_t r1) {
  require_internal(training(), "gradients asked for in a forward pass");
  std::int64_t const row = row_numel(p.shape());
  if (_world == 1) return FMat(_grads->of(p).f32().data() + r0 * row, r1 - r0, row);
  reserve(_grad_rows_buf, (r1 - r0) * row, "weights:grad_rows");
  fill_zero(_grad_rows_buf.data(), (r1 - r0) * row);
  return FMat(_grad_rows_buf.data(), r1 - r0, row);
}

void WeightStore::reduce_grad_rows(Parameter const& p, std::int64_t r0, std::int64_t r1) {
  if (_world == 1) return;
  reduce_into_shard(p, _grad_rows_buf.data(), ParamGather::rows_region(p.shape(), r0, r1), keep_of(p));
}

std::int64_t WeightStore::flights_bytes() const {
  std::int64_t b = 0;
  for (ParamGather::InFlight const& f : _flights) b += f.staging_bytes();
  return b;
}

std::int64_t WeightStore::scratch_bytes() const {
  return static_cast<std::int64_t>((_pool.span() + _grad_pool.span() + _rows_buf.span() + _grad_rows_buf.span() +
                                    _rs_send.span() + _rs_recv.span()) *
                                   sizeof(float)) +
         _gather.staging_bytes() + static_cast<std::int64_t>(_host_stage.capacity() * sizeof(float)) + flights_bytes();
}

}  // namespace titan
