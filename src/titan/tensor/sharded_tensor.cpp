#include "titan/tensor/sharded_tensor.hpp"

#include "titan/core/checked_size.hpp"
#include "titan/core/errors.hpp"
#include "titan/core/huge_pages.hpp"

namespace titan {

ShardedTensor::ShardedTensor(std::string fqn, Shape shape, Placements placements, DType dtype, Mesh const& mesh,
                             int rank)
    : _fqn(std::move(fqn)), _shape(std::move(shape)), _placements(placements), _dtype(dtype) {
  for (int m = 0; m < num_mesh_dims; ++m) {
    int const d = _placements[m].shard_dim;
    require(d < static_cast<int>(_shape.size()), _fqn + ": placement " + _placements[m].describe() + " on mesh dim " +
                                                     mesh_dim_name(m) + " names a dimension the tensor " +
                                                     describe(_shape) + " does not have");
  }
  // The element and byte counts in checked arithmetic: numel() and
  // local_bytes() are then exact (issue 12).
  std::int64_t n = 1;
  for (std::int64_t e : _shape)
    require(checked_mul(n, e, n), _fqn + ": the shape " + describe(_shape) + " has more elements than 64-bit arithmetic holds");
  std::int64_t bytes = 0;
  require(checked_mul(n, static_cast<std::int64_t>(dtype_size(_dtype)), bytes),
          _fqn + ": the shape " + describe(_shape) + " has more bytes than 64-bit arithmetic holds");
  auto const coords = mesh.coords(rank);
  _box = titan::local_box(_shape, _placements, mesh, coords);
  _primary = is_primary_replica(_placements, mesh, coords);
}

void ShardedTensor::allocate() {
  auto const n = static_cast<std::size_t>(local_numel());
  try {
    if (_dtype == DType::float32)
      _f32 = View1<float>(Kokkos::view_alloc(Kokkos::WithoutInitializing, _fqn), n);
    else
      _bf16 = View1<bf16_bits>(Kokkos::view_alloc(Kokkos::WithoutInitializing, _fqn), n);
  } catch (std::exception const& e) {
    throw RunError("allocating " + _fqn + " (" + std::to_string(local_bytes()) + " bytes) failed: " + e.what());
  }
  // What Kokkos allocated must be what was planned.
  std::size_t const got = _dtype == DType::float32 ? _f32.span() : _bf16.span();
  if (got != n)
    throw RunError("allocating " + _fqn + ": " + std::to_string(n) + " elements planned but the View holds " +
                   std::to_string(got));
  // Host memory, not yet touched (WithoutInitializing): ask for huge pages
  // before the first touch.
  if (Kokkos::SpaceAccessibility<HostSpace, MemSpace>::accessible) {
    void* const data = _dtype == DType::float32 ? static_cast<void*>(_f32.data()) : static_cast<void*>(_bf16.data());
    advise_huge_pages(data, static_cast<std::size_t>(local_bytes()));
  }
  _allocated = true;
}

void ShardedTensor::allocate_zeros() {
  allocate();
  visit([](auto const& v) { Kokkos::deep_copy(v, 0); });
}

std::int64_t ShardedTensor::allocated_bytes() const {
  return static_cast<std::int64_t>(_f32.span() * sizeof(float) + _bf16.span() * sizeof(bf16_bits));
}

}  // namespace titan
