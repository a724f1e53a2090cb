// A module that computes on the activations of this rank's tokens, rows
// [n_seq * T, features]: its forward maps x to y and keeps (when the context
// asks) what its backward needs; its backward maps dL/dy to dL/dx and adds
// the gradients of its own parameters (and its children's) into the
// WeightStore's gradient buffers.
#pragma once

#include "titan/compute/step_context.hpp"

namespace titan {

class Layer {
 public:
  virtual ~Layer() = default;
  virtual Act forward(StepContext& ctx, Act const& x) = 0;
  //! Needs the forward pass's kept state (keep_for_backward); releases it.
  virtual Act backward(StepContext& ctx, Act const& dy) = 0;
};

}  // namespace titan
