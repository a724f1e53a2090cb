// A parameter: a ShardedTensor (its global description and this rank's
// shard) plus what makes it a parameter of a module: the initializer its
// module resolved and the other FQNs it is registered under (weight tying).
#pragma once

#include "titan/init/init_spec.hpp"
#include "titan/tensor/sharded_tensor.hpp"

#include <memory>
#include <string>
#include <vector>

namespace titan {

class Parameter final : public ShardedTensor {
 public:
  using ShardedTensor::ShardedTensor;

  //! Other FQNs under which the same tensor is registered (weight tying).
  std::vector<std::string> const& aliases() const { return _aliases; }
  void add_alias(std::string fqn) { _aliases.push_back(std::move(fqn)); }

  //! The initializer its owning module resolved when it was built (deck
  //! overrides applied), or null when it has none: what the report shows.
  InitSpec const* resolved_init() const { return _has_resolved_init ? &_resolved_init : nullptr; }
  void set_resolved_init(InitSpec const& s) {
    _resolved_init = s;
    _has_resolved_init = true;
  }

 private:
  std::vector<std::string> _aliases;
  InitSpec _resolved_init;
  bool _has_resolved_init = false;
};

using ParameterPtr = std::shared_ptr<Parameter>;

}  // namespace titan
