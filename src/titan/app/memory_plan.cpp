#include "titan/app/memory_plan.hpp"

namespace titan {

RankPlan plan_rank_memory(Decoder::Config const& config, BuildContext ctx) {
  ParamOverrides overrides;
  if (ctx.overrides) {
    overrides = *ctx.overrides;
    ctx.overrides = &overrides;
  }
  ctx.allocate = false;
  std::unique_ptr<Decoder> const model = config.build(ctx);
  RankPlan plan;
  for (auto const& p : model->parameters()) {
    plan.local_bytes += p->local_bytes();
    plan.model_params += p->numel();
  }
  // freqs_cis [max_seq_len, head_dim/2, 2] float32, on every rank.
  plan.local_bytes += model->rope().max_seq_len * (model->rope().dim / 2) * 2 * static_cast<std::int64_t>(sizeof(float));
  return plan;
}

}  // namespace titan
