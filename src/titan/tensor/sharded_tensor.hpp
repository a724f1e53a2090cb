// One tensor type for everything titan shards over the mesh: parameters,
// their gradients, optimizer states and the tensors of a checkpoint. A
// ShardedTensor knows its global description (FQN, shape, placements on the
// mesh, dtype), the box of the global tensor this rank holds, and that box's
// storage in a Kokkos View of the default memory space (row-major over the
// box). Code that needs the typed storage calls visit() once instead of
// branching on the dtype at every use.
#pragma once

#include "titan/core/dtype.hpp"
#include "titan/core/types.hpp"
#include "titan/parallel/placement.hpp"

#include <memory>
#include <string>

namespace titan {

class ShardedTensor {
 public:
  //! Describes the tensor and computes this rank's box; allocates nothing.
  //! Throws InputError when a placement names a dimension the shape lacks or
  //! the element or byte count overflows 64 bits.
  ShardedTensor(std::string fqn, Shape shape, Placements placements, DType dtype, Mesh const& mesh, int rank);
  virtual ~ShardedTensor() = default;

  std::string const& fqn() const { return _fqn; }
  Shape const& shape() const { return _shape; }
  Placements const& placements() const { return _placements; }
  DType dtype() const { return _dtype; }
  Box const& local_box() const { return _box; }
  //! True when this rank's copy is the one counted in reductions (see is_primary_replica).
  bool primary_replica() const { return _primary; }

  std::int64_t numel() const { return titan::numel(_shape); }
  std::int64_t local_numel() const { return _box.numel(); }
  std::int64_t local_bytes() const { return local_numel() * static_cast<std::int64_t>(dtype_size(_dtype)); }

  //! Allocates the local box's storage, uninitialized (RunError on failure).
  void allocate();
  //! Allocates it filled with zeros.
  void allocate_zeros();
  bool allocated() const { return _allocated; }
  View1<float> const& f32() const { return _f32; }        // the box, row-major; float32 storage
  View1<bf16_bits> const& bf16() const { return _bf16; }  // same, bfloat16 storage
  //! Bytes actually held by the allocated View.
  std::int64_t allocated_bytes() const;

  //! f(view) with the View of the tensor's dtype (View1<float> or View1<bf16_bits>).
  template <class F>
  decltype(auto) visit(F&& f) const {
    if (_dtype == DType::float32) return f(_f32);
    return f(_bf16);
  }

 private:
  std::string _fqn;
  Shape _shape;
  Placements _placements;
  DType _dtype;
  Box _box;
  bool _primary = true;
  bool _allocated = false;
  View1<float> _f32;       // (local_numel) when dtype == float32
  View1<bf16_bits> _bf16;  // (local_numel) when dtype == bfloat16
};

using ShardedTensorPtr = std::shared_ptr<ShardedTensor>;

}  // namespace titan
