#include "titan/app/memory_plan.hpp"

#include "titan/modules/module.hpp"

namespace titan {

RankPlan plan_rank_memory(ModelConfig const& config, BuildContext ctx) {
  ParamOverrides overrides;
  if (ctx.overrides) {
    overrides = *ctx.overrides;
    ctx.overrides = &overrides;
  }
  ctx.allocate = false;
  std::unique_ptr<Module> const model = config.build_model(ctx);
  RankPlan plan;
  for (auto const& p : model->parameters()) {
    plan.local_bytes += p->local_bytes();
    plan.model_params += p->numel();
  }
  for (auto const& b : model->buffers()) plan.local_bytes += b->bytes();  // replicated: every rank holds each
  return plan;
}

}  // namespace titan
