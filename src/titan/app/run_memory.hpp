// What the memory guard counts for this run (issue 19, class 3): the model
// (its shards and buffers, from the allocation-free build) and, with
// --forward, the forward pass's plan (plan_forward_memory, the figure the
// pass itself allocates from), plus the advice on what would fit. Training
// will add its terms here.
#pragma once

#include "titan/app/memory_guard.hpp"
#include "titan/app/memory_plan.hpp"
#include "titan/forward/decoder_spec.hpp"
#include "titan/forward/tokens.hpp"

namespace titan {

struct RunMemory {
  RankMemory rank;     //!< this rank's terms (the same terms on every rank)
  WorkAdvice advice;   //!< what of the work would fit (empty without a phase that has work)
};

//! `forward_spec` and `tokens` are null without --forward. Throws InputError
//! when the batch exceeds its bounds (check_forward_batch: a tokens file is
//! bounded like [forward] batch and seq_len).
RunMemory plan_run_memory(RankPlan const& model, DecoderSpec const* forward_spec, ForwardTokens const* tokens,
                          std::string const& tokens_source, bool dump_logits, int world, int rank);

}  // namespace titan
