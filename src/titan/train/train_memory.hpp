// What a training step holds on one rank, found from the module tree, the
// parameters' boxes and the settings alone (no allocation): the memory
// guard counts it before the model is allocated; the report gives it beside
// the measured peak (train.planned_peak_bytes).
#pragma once

#include "titan/modules/language_model.hpp"
#include "titan/modules/parameter.hpp"
#include "titan/train/train_settings.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace titan {

struct TrainMemoryPlan {
  std::int64_t gradients = 0;        //!< float32, every parameter's box
  std::int64_t optimizer_states = 0; //!< exp_avg and exp_avg_sq, float32, every box
  std::int64_t masters = 0;          //!< float32 copies of bfloat16 parameters
  std::int64_t activations = 0;      //!< kept for backward (all blocks, or their inputs with checkpointing) + the largest block's own
  std::int64_t logits = 0;           //!< [N, V] (their gradient overwrites them) and the head's chunk
  std::int64_t gather = 0;           //!< the block pool and its gradient pool, the vocabulary chunks (when gathered)
  std::int64_t gather_staging = 0;   //!< MPI staging: the largest gather, the prefetched block, the reduce-scatter
  std::int64_t token_ids = 0;        //!< the step's ids on the host and on the device, grouped by id

  std::int64_t total() const;
  std::vector<std::pair<std::string, std::int64_t>> terms() const;
};

//! The plan of rank `rank` of `world` for batches of `batch` sequences of `seq_len` tokens.
TrainMemoryPlan plan_train_memory(LanguageModel const& model, std::vector<ParameterPtr> const& params,
                                  TrainSettings const& s, std::int64_t batch, std::int64_t seq_len, int world, int rank,
                                  bool device_build);

//! What would fit in `room` bytes of work memory on rank `rank`: the plan
//! now, the largest batch at this seq_len, the largest halving of seq_len at
//! this batch, and what activation checkpointing would change; with
//! `hint_ranks`, that more ranks shard the parameters when nothing fits
//! (the dry run's planner says instead how many ranks would).
std::string train_memory_advice(LanguageModel const& model, std::vector<ParameterPtr> const& params,
                                TrainSettings const& s, std::int64_t batch, std::int64_t seq_len, int world,
                                bool device_build, double room, int rank = 0, bool hint_ranks = true);

}  // namespace titan
