// A module that computes on the activations of this rank's tokens, rows
// [n_seq * T, features]: its forward maps x to y and keeps (when the context
// asks) what its backward needs; its backward maps dL/dy to dL/dx and adds
// the gradients of its own parameters (and its children's) into the
// WeightStore's gradient buffers.
#pragma once

#include "titan/compute/step_context.hpp"

namespace titan {

//! What a layer's forward and backward allocate on N = n_seq * T rows, in
//! bytes, for the memory plan (docs/training.md): found from the shapes
//! alone, so it can be asked of an allocation-free build.
struct ActivationBytes {
  double kept = 0;      //!< held from the forward until the backward (a training step keeps it)
  double forward = 0;   //!< the forward's own buffers at their peak, its output included, its input not
  double backward = 0;  //!< the backward's own buffers at their peak, dL/dx included, dL/dy not
};

//! The matrix-product FLOPs of a layer's forward and backward on n_seq
//! sequences of T tokens, exactly as its kernels count them into the
//! step's FlopCounter (2 m n k per gemm): for the dry run's plan
//! (train.flops_per_step before launch), found from the shapes alone.
struct LayerFlops {
  double forward = 0, backward = 0;
};

class Layer {
 public:
  virtual ~Layer() = default;
  virtual ActivationBytes activation_bytes(std::int64_t n_seq, std::int64_t T) const = 0;
  virtual LayerFlops flops(std::int64_t n_seq, std::int64_t T) const = 0;
  virtual Act forward(StepContext& ctx, Act const& x) = 0;
  //! Needs the forward pass's kept state (keep_for_backward); releases it.
  virtual Act backward(StepContext& ctx, Act const& dy) = 0;
};

}  // namespace titan
