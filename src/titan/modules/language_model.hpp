// What the forward pass and training ask of a model root: logits for this
// rank's tokens and the backward pass from their gradient. The decoder
// families' root (Decoder) is one; a model that is not (Flux) has no forward
// pass.
#pragma once

#include "titan/compute/step_context.hpp"

#include <cstdint>

namespace titan {

class LanguageModel {
 public:
  virtual ~LanguageModel() = default;
  virtual std::int64_t vocab_size() const = 0;
  //! Rows of the RoPE table: the longest sequence the model takes.
  virtual std::int64_t max_seq_len() const = 0;
  //! logits [ctx.rows(), V] of ctx.tokens (keeping what backward needs when the context asks).
  virtual Act forward(StepContext& ctx) = 0;
  //! Adds every parameter's gradient for dL/dlogits (the context's gradients).
  virtual void backward(StepContext& ctx, Act const& dlogits) = 0;
};

}  // namespace titan
