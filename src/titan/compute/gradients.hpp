// The gradient of every parameter: a float32 ShardedTensor with the
// parameter's placements and box (the optimizer updates each rank's box from
// it), zeroed at the start of each step.
#pragma once

#include "titan/modules/parameter.hpp"

#include <unordered_map>
#include <vector>

namespace titan {

class GradientSet {
 public:
  //! One float32 gradient per parameter, allocated and zeroed.
  GradientSet(std::vector<ParameterPtr> const& params, Mesh const& mesh, int rank);
  ShardedTensor& of(Parameter const& p) const;
  //! Every gradient, in the parameters' order.
  std::vector<ShardedTensorPtr> const& all() const { return _all; }
  void zero();
  std::int64_t local_bytes() const;

 private:
  std::vector<ShardedTensorPtr> _all;
  std::unordered_map<Parameter const*, ShardedTensor*> _by_param;
};

}  // namespace titan
