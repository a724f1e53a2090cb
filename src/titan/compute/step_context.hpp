// What a module's forward and backward receive besides their input: where
// the weights and gradients are (WeightStore), this rank's batch shape, the
// model's RoPE table, the FLOP counter, and whether the pass keeps what the
// backward pass will need.
#pragma once

#include "titan/compute/compute_types.hpp"
#include "titan/compute/token_kernels.hpp"
#include "titan/compute/weight_store.hpp"
#include "titan/core/errors.hpp"

namespace titan {

struct StepContext {
  explicit StepContext(WeightStore& store) : weights(store) {}

  WeightStore& weights;
  std::int64_t n_seq = 0, T = 0;  // this rank's sequences, positions per sequence (rows = n_seq * T)
  TokenView tokens;               // [n_seq * T]
  TokenGroups token_groups;       // the same grouped by id (the embedding's gradient), training only
  FreqsView freqs;                // set by the Decoder: its freqs_cis
  RopeStyle rope_style = RopeStyle::interleaved;
  FlopCounter fc;
  //! The forward pass keeps what backward needs (a training step). False in
  //! a forward-only pass and while activation checkpointing discards a
  //! block's inside.
  bool keep_for_backward = false;
  //! A block's forward re-run for its backward (activation checkpointing):
  //! statistics (tokens per expert) are not counted twice.
  bool recomputing = false;
  //! Counting tokens per expert for load balancing (training).
  bool count_routing = false;
  //! Activation checkpointing: the forward keeps each block's input only and
  //! the backward recomputes the block.
  bool checkpoint_blocks = false;

  std::int64_t rows() const { return n_seq * T; }
};

}  // namespace titan
