// A parameter: its global description (FQN, shape, placements, dtype) and
// the local shard this rank owns, stored in a Kokkos View.
#pragma once

#include "titan/core/dtype.hpp"
#include "titan/core/types.hpp"
#include "titan/init/init_spec.hpp"
#include "titan/parallel/placement.hpp"

#include <memory>
#include <string>
#include <vector>

namespace titan {

class Parameter {
 public:
  //! Describes the parameter and computes this rank's box; allocates nothing.
  Parameter(std::string fqn, Shape shape, Placements placements, DType dtype, Mesh const& mesh, int rank);

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

  //! Other FQNs under which the same tensor is registered (weight tying).
  std::vector<std::string> const& aliases() const { return _aliases; }
  void add_alias(std::string fqn) { _aliases.push_back(std::move(fqn)); }

  //! Allocates the local shard (uninitialized: init_states writes every element).
  void allocate();
  bool allocated() const { return _allocated; }
  View1<float> const& f32() const { return _f32; }         // local shard, row-major over the box; float32 storage
  View1<bf16_bits> const& bf16() const { return _bf16; }   // same, bfloat16 storage
  //! Bytes actually held by the allocated View(s).
  std::int64_t allocated_bytes() const;

  //! The initializer that filled this parameter (set by init_states).
  InitSpec const& init_used() const { return _init_used; }
  void set_init_used(InitSpec const& s) { _init_used = s; }
  //! The initializer its owning module resolved when it was built (deck
  //! overrides applied), or null when it has none: what the report shows.
  InitSpec const* resolved_init() const { return _has_resolved_init ? &_resolved_init : nullptr; }
  void set_resolved_init(InitSpec const& s) {
    _resolved_init = s;
    _has_resolved_init = true;
  }

 private:
  std::string _fqn;
  Shape _shape;
  Placements _placements;
  DType _dtype;
  Box _box;
  bool _primary = true;
  bool _allocated = false;
  std::vector<std::string> _aliases;
  View1<float> _f32;        // (local_numel) when dtype == float32
  View1<bf16_bits> _bf16;   // (local_numel) when dtype == bfloat16
  InitSpec _init_used;
  InitSpec _resolved_init;
  bool _has_resolved_init = false;
};

using ParameterPtr = std::shared_ptr<Parameter>;

}  // namespace titan
