// Training's part of the report (plain values; no Kokkos, no TOML).
#pragma once

#include "titan/report/comm_kind.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace titan {

struct TrainStepRecord {
  std::int64_t step = 0;   // optimizer step, from 1 (continues after --load)
  double loss = 0;         // mean next-token cross-entropy over the step's B*(T-1) predictions
  double grad_norm = 0;    // global L2 norm before clipping
  double lr = 0;           // the learning rate this step used
  double seconds = 0;      // slowest rank, the whole step
  //! MoE: (token, expert) rows the experts of a rank computed in the step
  //! (summed over the MoE layers), max and mean over the ranks (0 without MoE).
  double moe_rows_max = 0, moe_rows_mean = 0;
};

//! The MoE layers' load in the last step (train/moe_load.hpp).
struct TrainMoeLoad {
  bool present = false;                //!< the model has MoE layers
  double rows_max = 0, rows_mean = 0;  //!< rows computed per rank: max, mean over the ranks
  //! [layer][rank][expert]: rows routed by the rank's tokens, rows computed
  //! by its experts (empty when too large to report).
  std::vector<std::vector<std::vector<double>>> routed, computed;
};

//! Per step, averaged over the steps (report/comm_kind.hpp).
using TrainCommKind = CommKindReport;

struct TrainReport {
  std::int64_t batch = 0, seq_len = 0;
  std::string tokens;                     // where the tokens came from
  std::string activation_checkpointing;   // none | full
  std::vector<TrainStepRecord> steps;
  double tokens_per_s = 0;                // B*T per step over the mean step time (steps after the first when > 1)
  // Seconds over all steps (slowest rank of each part): forward (to the
  // loss), backward, optimizer (norm, clipping, load balancing, AdamW), and
  // the communication inside them (gathers and gradient reductions).
  double forward_s = 0, backward_s = 0, optimizer_s = 0, communication_s = 0;
  //! Seconds prefetched gathers were in flight while the rank computed (max over ranks, summed over steps).
  double overlapped_s = 0;
  bool prefetch = true;
  //! Parameter and gradient traffic and the MoE's token dispatch per step by
  //! collective kind (the loss, gradient-norm and router-count reductions and
  //! the dispatch's count exchange, a few bytes each, not counted).
  std::vector<TrainCommKind> comm;
  double flops_per_step = 0;              // all ranks, products of one step (forward, backward, recomputation)
  //! What tensor parallelism divides, measured on the largest rank: the
  //! products one rank computed in a step, and the logits buffer it allocated.
  double flops_per_step_rank_max = 0;
  std::int64_t logits_bytes_max = 0;
  std::int64_t peak_rss_min = 0, peak_rss_max = 0;
  std::int64_t planned_peak_bytes = 0;    // the memory plan of the largest rank
  std::int64_t optimizer_state_bytes_max = 0;  // moments and masters, largest rank
  std::uint64_t fingerprint = 0;               // the trained model's (design §5), after the last step
  //! Tokens routed to each expert in the last step, per MoE layer (summed over ranks).
  std::vector<std::vector<float>> tokens_per_expert;
  TrainMoeLoad moe;
};

}  // namespace titan
