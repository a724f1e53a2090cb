// The cross-entropy of vocabulary-parallel logits (Megatron's parallel
// cross-entropy): each tp rank holds the columns [v0, v0 + V/tp) of the
// logits of the same rows; the row maxima are all-reduced (max) over the tp
// ranks, then the sums of exp(logit - max) and the target logits (from the
// rank owning each target, 0 elsewhere) are all-reduced (sum), so that no
// rank ever holds a row's whole logits. Position t predicts token t + 1 of
// its sequence; the last position predicts nothing. These reductions (three
// values a row) are not counted in the step's communication report.
#pragma once

#include "titan/compute/compute_types.hpp"

#include <mpi.h>

namespace titan {

//! Per row: the maximum, the sum of exp(logit - maximum) and the target's
//! logit over the whole vocabulary (host vectors, rows without a target 0).
struct VocabRowStats {
  Kokkos::View<double*, Layout, MemSpace> max, sum_exp, target;
};

//! Collective over `tp`: the row statistics of `logits` [N, V/tp] (columns
//! from v0). `device_pointers`: the all-reduces take the device buffers (a
//! CUDA-aware MPI; mpi_on_buffers.hpp), else a device build stages them.
VocabRowStats vocab_row_stats(FMat logits, TokenView tokens, std::int64_t T, std::int64_t v0, MPI_Comm tp,
                              bool device_pointers);
//! The sum over this rank's rows of -log softmax(target) (the same on every tp rank).
double vocab_parallel_loss_sum(VocabRowStats const& s, std::int64_t T);
//! logits overwritten by scale * dL/dlogits of this rank's columns.
void vocab_parallel_loss_grad(FMat logits, TokenView tokens, std::int64_t T, std::int64_t v0, VocabRowStats const& s,
                              double scale);
//! logits_fingerprint() of this rank's columns, as if the logits [N, V] of
//! rows from `first_row` were whole: summed over the tp ranks it is the whole's.
std::uint64_t vocab_columns_fingerprint(FMat logits, std::int64_t first_row, std::int64_t V, std::int64_t v0);

}  // namespace titan
