// The embedding lookup and its gradient, over vocabulary chunks. Vocabulary-
// parallel under tensor parallelism (WeightStore::split): each tp rank looks
// up the tokens among its V/tp rows (the others' rows stay zero) and the
// partial embeddings are summed over the tp ranks; each rank's gradient
// covers its own rows only.
#include "titan/compute/token_kernels.hpp"
#include "titan/modules/embedding.hpp"

namespace titan {

Act Embedding::forward(StepContext& ctx, std::int64_t chunk_rows) {
  std::array<std::int64_t, 2> const range = ctx.weights.row_range(*_weight);
  std::int64_t const lo = range[0], V = range[1];  // this rank's vocabulary rows
  Act x;
  ctx.guarded([&] { x = Act("tok_embeddings.x", ctx.rows(), _embedding_dim); });  // zeros: each row filled by its token's chunk
  for (std::int64_t v0 = lo; v0 < V; v0 += chunk_rows) {
    std::int64_t const v1 = std::min(V, v0 + chunk_rows);
    FMat const w = ctx.weights.rows(*_weight, v0, v1);
    ctx.guarded([&] { embed_chunk(ctx.tokens, w, v0, x); });
  }
  if (ctx.weights.split(*_weight)) ctx.tp_all_reduce(x);
  return x;
}

void Embedding::backward(StepContext& ctx, Act const& dx, std::int64_t chunk_rows) {
  std::array<std::int64_t, 2> const range = ctx.weights.row_range(*_weight);
  std::int64_t const lo = range[0], V = range[1];
  for (std::int64_t v0 = lo; v0 < V; v0 += chunk_rows) {
    std::int64_t const v1 = std::min(V, v0 + chunk_rows);
    ctx.guarded([&] { embed_chunk_grad(ctx.token_groups, dx, v0, ctx.weights.grad_rows(*_weight, v0, v1)); });
    ctx.weights.reduce_grad_rows(*_weight, v0, v1);
  }
}

}  // namespace titan
