#include "titan/compute/weight_store.hpp"

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

void fill_zero(float* p, std::int64_t n) {
  if (n > 0) Kokkos::deep_copy(View1<float>(p, static_cast<std::size_t>(n)), 0.0f);
}

}  // namespace

namespace detail {

void add_box(float const* full, Shape const& shape, std::int64_t r0, std::int64_t r1, Box const& box, View1<float> local);

// local[l] += full[global index of l - r0 rows] for the elements of `box`
// whose dim-0 index lies in [r0, r1); `full` holds rows [r0, r1) of the
// global tensor, row-major. Shapes of rank 1-3, padded with trailing 1s.
void add_box(float const* full, Shape const& shape, std::int64_t r0, std::int64_t r1, Box const& box, View1<float> local) {
  std::int64_t const n = box.numel();
  if (n == 0) return;
  std::int64_t s[3] = {1, 1, 1}, o[3] = {0, 0, 0}, e[3] = {1, 1, 1};
  for (std::size_t d = 0; d < shape.size(); ++d) {
    s[d] = shape[d];
    o[d] = box.offset[d];
    e[d] = box.extent[d];
  }
  std::int64_t const s1 = s[1], s2 = s[2], o0 = o[0], o1 = o[1], o2 = o[2], e1 = e[1], e2 = e[2];
  UView<float const*> src(full, static_cast<std::size_t>((r1 - r0) * s1 * s2));
  Kokkos::parallel_for("compute:grad_box", Range(0, n), KOKKOS_LAMBDA(std::int64_t l) {
    std::int64_t const i2 = l % e2, i1 = (l / e2) % e1, i0 = l / (e1 * e2);
    std::int64_t const g0 = o0 + i0;
    if (g0 < r0 || g0 >= r1) return;
    local(l) += src(((g0 - r0) * s1 + (o1 + i1)) * s2 + (o2 + i2));
  });
}

}  // namespace detail

WeightStore::WeightStore(Mesh const& mesh, MPI_Comm comm, GradientSet* grads)
    : _mesh(mesh), _comm(comm), _grads(grads), _gather(mesh, comm) {
  MPI_Comm_size(comm, &_world);
}

void WeightStore::gather(std::vector<Parameter const*> const& params) {
  release();
  _group = params;
  std::int64_t need = 0, largest = 0;
  for (Parameter const* p : params)
    if (!_gather.fully_local(*p)) {
      need += p->numel();
      largest = std::max(largest, p->numel());
    }
  collective(_comm, [&] {  // an allocation failing on one rank fails the gather on all
    reserve(_pool, need, "weights:pool");
    _gather.reserve(largest);
  });
  std::int64_t used = 0;
  for (Parameter const* p : params) {
    if (_gather.fully_local(*p)) {
      _at[p] = p->f32().data();
      continue;
    }
    float* dst = _pool.data() + used;
    gather_rows(*p, 0, p->shape()[0], dst);
    _at[p] = dst;
    used += p->numel();
  }
}

void WeightStore::gather_rows(Parameter const& p, std::int64_t r0, std::int64_t r1, float* out) {
  double const t0 = MPI_Wtime();
  _gather.rows(p, r0, r1, out);
  Kokkos::fence();
  _comm_stats.all_gather.seconds += MPI_Wtime() - t0;
  _comm_stats.all_gather.calls += 1;
  _comm_stats.all_gather.bytes += static_cast<double>(_gather.last_send_bytes());
}

void WeightStore::release() {
  _group.clear();
  _at.clear();
  _grad_at.clear();
}

float* WeightStore::weight_data(Parameter const& p) const {
  auto it = _at.find(&p);
  if (it == _at.end()) throw RunError("internal: " + p.fqn() + " was used before its group was gathered");
  return it->second;
}

FVec WeightStore::vec(Parameter const& p) const {
  require_internal(p.shape().size() == 1, p.fqn() + ": not a vector");
  return FVec(weight_data(p), p.shape()[0]);
}
FMat WeightStore::mat(Parameter const& p) const {
  require_internal(p.shape().size() == 2, p.fqn() + ": not a matrix");
  return FMat(weight_data(p), p.shape()[0], p.shape()[1]);
}
F3 WeightStore::t3(Parameter const& p) const {
  require_internal(p.shape().size() == 3, p.fqn() + ": not a 3-D tensor");
  return F3(weight_data(p), p.shape()[0], p.shape()[1], p.shape()[2]);
}

FMat WeightStore::rows(Parameter const& p, std::int64_t r0, std::int64_t r1) {
  std::int64_t const row = row_numel(p.shape());
  if (_gather.fully_local(p)) return FMat(p.f32().data() + r0 * row, r1 - r0, row);
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
  for (Parameter const* p : _group) need += p->numel();
  reserve(_grad_pool, need, "weights:grad_pool");
  fill_zero(_grad_pool.data(), need);
  std::int64_t used = 0;
  for (Parameter const* p : _group) {
    _grad_at[p] = _grad_pool.data() + used;
    used += p->numel();
  }
}

float* WeightStore::grad_data(Parameter const& p) const {
  auto it = _grad_at.find(&p);
  if (it == _grad_at.end()) throw RunError("internal: no gradient buffer for " + p.fqn() + " (begin_grads not called)");
  return it->second;
}

FVec WeightStore::grad_vec(Parameter const& p) const { return FVec(grad_data(p), p.shape()[0]); }
FMat WeightStore::grad_mat(Parameter const& p) const { return FMat(grad_data(p), p.shape()[0], p.shape()[1]); }
F3 WeightStore::grad_t3(Parameter const& p) const {
  return F3(grad_data(p), p.shape()[0], p.shape()[1], p.shape()[2]);
}

void WeightStore::sum_over_ranks(float* data, std::int64_t n) {
  constexpr bool host = Kokkos::SpaceAccessibility<HostSpace, MemSpace>::accessible;
  Kokkos::fence();
  double const t0 = MPI_Wtime();
  _comm_stats.all_reduce.calls += 1;
  _comm_stats.all_reduce.bytes += static_cast<double>(n) * sizeof(float);
  for (std::int64_t done = 0; done < n;) {  // MPI counts are int
    int const c = static_cast<int>(std::min<std::int64_t>(n - done, INT_MAX / 2));
    if (host) {
      TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, data + done, c, MPI_FLOAT, MPI_SUM, _comm));
    } else {  // a device build without CUDA-aware MPI: staged through the host
      _host_stage.resize(static_cast<std::size_t>(c));
      UView<float*> d(data + done, static_cast<std::size_t>(c));
      Kokkos::View<float*, HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> h(_host_stage.data(), _host_stage.size());
      Kokkos::deep_copy(h, d);
      TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, _host_stage.data(), c, MPI_FLOAT, MPI_SUM, _comm));
      Kokkos::deep_copy(d, h);
    }
    done += c;
  }
  _comm_stats.all_reduce.seconds += MPI_Wtime() - t0;
}

void WeightStore::reduce_grads() {
  if (_world == 1) return;  // accumulated in place
  std::int64_t n = 0;
  for (Parameter const* p : _group) n += p->numel();
  sum_over_ranks(_grad_pool.data(), n);
  for (Parameter const* p : _group)
    detail::add_box(grad_data(*p), p->shape(), 0, p->shape()[0], p->local_box(), _grads->of(*p).f32());
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
  std::int64_t const row = row_numel(p.shape());
  sum_over_ranks(_grad_rows_buf.data(), (r1 - r0) * row);
  detail::add_box(_grad_rows_buf.data(), p.shape(), r0, r1, p.local_box(), _grads->of(p).f32());
}

std::int64_t WeightStore::scratch_bytes() const {
  return static_cast<std::int64_t>((_pool.span() + _grad_pool.span() + _rows_buf.span() + _grad_rows_buf.span()) *
                                   sizeof(float)) +
         _gather.staging_bytes() + static_cast<std::int64_t>(_host_stage.capacity() * sizeof(float));
}

}  // namespace titan
