// Which parameters tensor-parallel compute splits (docs/parallelism.md).
// `split`: a column- or row-parallel weight (and what follows its heads or
// hidden units: biases, sinks), gathered over its shard group without the tp
// dimension, so that each tp rank keeps and computes its own tp slice.
// `partial`: a parameter read whole whose gradient each tp rank computes on
// its own heads only (Qwen3's per-head q_norm/k_norm): the tp ranks' parts
// are summed. Every other parameter is computed whole and identically by the
// tp ranks of one data-parallel coordinate (they share the same sequences):
// its gradient is counted once (tp rank 0's), never tp times.
#pragma once

#include <cstdint>
#include <unordered_set>
#include <vector>

namespace titan {

class Parameter;

struct TpPlan {
  std::unordered_set<Parameter const*> split, partial;
  //! The widths of the activations [rows, width] the split modules sum over
  //! the tp ranks in each forward (the row-parallel outputs) and in each
  //! backward (the column-parallel input gradients; MLA's compressed kv,
  //! k_pe and low-rank q ones). For the comm model.
  std::vector<std::int64_t> forward_sums, backward_sums;
  //! Vocabulary-parallel embedding (its forward sums [rows, dim] over tp) and
  //! output head (its backward sums dL/dx [rows, dim]); dim the model width.
  bool vocab_embedding = false, vocab_output = false;
  std::int64_t dim = 0;
};

}  // namespace titan
