// What the forward pass and training ask of a model root: logits for this
// rank's tokens and the backward pass from their gradient. The decoder
// families' root (Decoder) is one; a model that is not (Flux) has no forward
// pass.
#pragma once

#include "titan/compute/layer.hpp"
#include "titan/compute/step_context.hpp"
#include "titan/modules/parameter.hpp"

#include <cstdint>
#include <vector>

namespace titan {

class LanguageModel {
 public:
  virtual ~LanguageModel() = default;
  virtual std::int64_t vocab_size() const = 0;
  //! The embedding's and the output head's weights (the same tensor when tied).
  virtual Parameter const* embedding_weight() const = 0;
  virtual Parameter const* output_weight() const = 0;
  //! Rows of the RoPE table: the longest sequence the model takes.
  virtual std::int64_t max_seq_len() const = 0;
  //! logits [ctx.rows(), V] of ctx.tokens (keeping what backward needs when the context asks).
  virtual Act forward(StepContext& ctx) = 0;
  //! Adds every parameter's gradient for dL/dlogits (the context's gradients).
  virtual void backward(StepContext& ctx, Act const& dlogits) = 0;

  // ---- What the memory plan needs (answered by an allocation-free build too)
  virtual std::int64_t model_dim() const = 0;
  //! The tp ranks that share each sequence (the batch is split over the
  //! world / tp_size() data-parallel ranks), and the logits columns each
  //! holds (vocab_size() / tp with a vocabulary-parallel output head).
  virtual int tp_size() const = 0;
  virtual std::int64_t logits_columns() const = 0;
  //! Rows of a vocabulary chunk of the embedding and output head.
  virtual std::int64_t vocab_chunk_rows() const = 0;
  //! Elements of the largest block (the gather pool) and of the largest parameter.
  virtual std::int64_t largest_block_numel() const = 0;
  //! The same counting only what WeightStore gathers (the forward pool, a
  //! prefetched block's staging): a region the rank holds whole in float32
  //! is read in place.
  virtual std::int64_t largest_gathered_block_numel() const = 0;
  virtual std::int64_t largest_parameter_numel() const = 0;
  virtual std::int64_t num_blocks() const = 0;
  //! True when this rank holds, in float32, every region it computes with
  //! (WeightStore's rule, compute_keep()): nothing is gathered, no gather
  //! pool or staging is allocated (dp_shard = 1 with tp and ep splits only).
  virtual bool computes_from_local_shards() const = 0;
  //! The mesh's ep: tensors split over it (routed experts) are gathered for a rank's own experts only.
  virtual int expert_ranks() const { return 1; }
  //! The blocks on n_seq * T rows: kept summed over the blocks (what a
  //! training step holds at the end of its forward), forward and backward the
  //! largest block's own buffers; each block's input [N, D] in kept_inputs.
  struct BlocksBytes {
    double kept = 0, kept_inputs = 0, forward = 0, backward = 0, largest_kept = 0;
  };
  virtual BlocksBytes blocks_activation_bytes(std::int64_t n_seq, std::int64_t T) const = 0;

  // ---- What the communication model needs
  //! One use of a parameter in a pass: how many times it is gathered (whole,
  //! or in vocabulary rows that together make it whole) and how many times
  //! its gradient is reduced onto the owners. A tied tensor has a use per module.
  struct ParamUse {
    Parameter const* param = nullptr;
    int gathers = 0, reductions = 0;
  };
  //! Every use in a forward pass (`training` false) or a training step.
  virtual std::vector<ParamUse> param_uses(bool training) const = 0;
  //! The matrix-product FLOPs of one training step on n_seq sequences of T
  //! tokens (forward, backward and, with `checkpointing`, the blocks'
  //! recomputed forward), as the step's FlopCounter counts them. Every term
  //! is proportional to n_seq: the step's over all ranks is that of the whole batch.
  virtual double train_step_flops(std::int64_t n_seq, std::int64_t T, bool checkpointing) const = 0;
};

}  // namespace titan
