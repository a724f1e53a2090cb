// The training-memory plan of a dry run (--dry-run --train, issue 17 item 7),
// as the report prints it and writes it under JSON "train_plan" (plain
// values; no Kokkos, no TOML). docs/training.md, "Planning before launch".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace titan {

struct TrainPlanReport {
  int rank = 0;                  //!< the rank with the largest plan (the first such rank)
  int ranks = 1;                 //!< the world planned for
  std::int64_t batch = 0, seq_len = 0;
  std::string activation_checkpointing;  //!< none | full
  //! (JSON key, bytes) of that rank, in the printed order: parameters,
  //! buffers, gradients, optimizer_states, masters, activations,
  //! gathered_blocks, gather_staging, logits, token_ids, runtime.
  std::vector<std::pair<std::string, std::int64_t>> terms;
  std::int64_t peak_bytes = 0;    //!< the sum of the terms (as train.planned_peak_bytes of a real run)
  std::int64_t needed_bytes = 0;  //!< peak without the runtime, plus the memory guard's margin
  std::int64_t memory_per_rank = -1;  //!< -1: unknown
  std::string memory_source;          //!< where memory_per_rank comes from
  std::optional<bool> fits;           //!< needed_bytes <= memory_per_rank (absent when unknown)
  std::string advice;                 //!< when it does not fit: what would
  double flops_per_step = 0;          //!< all ranks (0: not known)
  //! Communication bytes per step by collective kind (issue 17 item 6 adds
  //! them from its analytic model; empty until then: nothing is invented).
  std::vector<std::pair<std::string, double>> comm_bytes_per_step;
};

}  // namespace titan
