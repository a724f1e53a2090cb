// What the memory guard counts for this run (issue 19, class 3): the model
// (its shards and buffers, from the allocation-free build) and, with
// --forward, the forward pass's plan (plan_forward_memory, from the modules'
// own activation bytes), with --train training's (train_memory.hpp), plus
// the advice on what would fit.
#pragma once

#include "titan/app/memory_guard.hpp"
#include "titan/app/memory_plan.hpp"
#include "titan/forward/tokens.hpp"
#include "titan/train/train_settings.hpp"

namespace titan {

struct RunMemory {
  RankMemory rank;     //!< this rank's terms (the same terms on every rank)
  WorkAdvice advice;   //!< what of the work would fit (empty without a phase that has work)
};

//! The phases this run will do, for the plan (null: not done).
struct RunWork {
  ForwardTokens const* forward_tokens = nullptr;  //!< --forward
  std::string forward_source;                     //!< "[forward]" or "the tokens file X", for messages
  bool dump_logits = false;
  TrainSettings const* train = nullptr;            //!< --train
  std::int64_t train_batch = 0, train_seq_len = 0;
};

//! Throws InputError when a forward batch exceeds its bounds
//! (check_forward_batch: a tokens file is bounded like [forward] batch and seq_len).
RunMemory plan_run_memory(RankPlan const& model, RunWork const& work, int world, int rank);

}  // namespace titan
