#include "titan/app/memory_plan.hpp"

#include "titan/modules/module.hpp"
#include "titan/core/errors.hpp"

namespace titan {

RankPlan plan_rank_memory(ModelConfig const& config, BuildContext ctx) {
  ParamOverrides overrides;
  if (ctx.overrides) {
    overrides = *ctx.overrides;
    ctx.overrides = &overrides;
  }
  ctx.allocate = false;
  std::shared_ptr<Module const> const model = config.build_model(ctx);
  RankPlan plan;
  plan.model = model;
  bool ok = true;  // checked sums: an overflowing model is refused before anything is allocated
  for (auto const& p : model->parameters()) {
    ok = ok && !__builtin_add_overflow(plan.local_bytes, p->local_bytes(), &plan.local_bytes);
    ok = ok && !__builtin_add_overflow(plan.model_params, p->numel(), &plan.model_params);
  }
  for (auto const& b : model->buffers())  // replicated: every rank holds each
    ok = ok && !__builtin_add_overflow(plan.buffer_bytes, b->bytes(), &plan.buffer_bytes);
  ok = ok && !__builtin_add_overflow(plan.local_bytes, plan.buffer_bytes, &plan.local_bytes);
  require(ok, "[model] the model's parameter and buffer bytes overflow 64-bit arithmetic");
  return plan;
}

}  // namespace titan
