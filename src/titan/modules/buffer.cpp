#include "titan/modules/buffer.hpp"

#include "titan/core/errors.hpp"
#include "titan/core/huge_pages.hpp"

namespace titan {

Buffer::Buffer(std::string fqn, Shape shape) : _fqn(std::move(fqn)), _shape(std::move(shape)) {
  // Computed here with overflow checks: a View's own size arithmetic may
  // wrap silently for absurd extents (Kokkos 3.4 does for 3-D views).
  std::int64_t n = 1;
  for (auto e : _shape) {
    require(e > 0, "buffer " + _fqn + ": every dimension must be positive, got shape " + describe(_shape));
    require(!__builtin_mul_overflow(n, e, &n), "buffer " + _fqn + " of shape " + describe(_shape) +
                                                    " has more elements than fit in 64 bits");
  }
  std::int64_t bytes = 0;
  require(!__builtin_mul_overflow(n, static_cast<std::int64_t>(sizeof(float)), &bytes),
          "buffer " + _fqn + " of shape " + describe(_shape) + " has more bytes than fit in 64 bits");
  _numel = n;
}

void Buffer::allocate() {
  try {
    _data = View1<float>(Kokkos::view_alloc(Kokkos::WithoutInitializing, _fqn), static_cast<std::size_t>(_numel));
  } catch (std::exception const& e) {
    throw RunError("allocating buffer " + _fqn + " (" + std::to_string(bytes()) + " bytes) failed: " + e.what());
  }
  if (_data.size() != static_cast<std::size_t>(_numel))
    throw RunError("allocating buffer " + _fqn + ": got " + std::to_string(_data.size()) + " elements, planned " +
                   std::to_string(_numel));
  // Host memory, not yet touched: huge pages before the first touch, as for
  // parameters (a 2^27-position RoPE table is 8.6 GB; with 4 KiB pages its
  // first touch took 60 s of page faults here, issue 20).
  if (Kokkos::SpaceAccessibility<HostSpace, MemSpace>::accessible)
    advise_huge_pages(_data.data(), static_cast<std::size_t>(bytes()));
}

}  // namespace titan
