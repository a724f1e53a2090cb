#include "titan/app/memory_plan.hpp"

#include "titan/core/errors.hpp"

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
  bool ok = true;  // checked sums: an overflowing model is refused before anything is allocated
  for (auto const& p : model->parameters()) {
    ok = ok && !__builtin_add_overflow(plan.local_bytes, p->local_bytes(), &plan.local_bytes);
    ok = ok && !__builtin_add_overflow(plan.model_params, p->numel(), &plan.model_params);
  }
  // freqs_cis [max_seq_len, head_dim/2, 2] float32, on every rank.
  plan.buffer_bytes = freqs_cis_elements(model->rope()) * static_cast<std::int64_t>(sizeof(float));
  ok = ok && !__builtin_add_overflow(plan.local_bytes, plan.buffer_bytes, &plan.local_bytes);
  require(ok, "[model] the model's parameter and buffer bytes overflow 64-bit arithmetic");
  return plan;
}

}  // namespace titan
