// Linear's forward and backward (y = x W^T + b). Under tensor parallelism
// (WeightStore::split) W is this rank's tp slice: a column-parallel one
// (Shard(0) on tp) gives this rank's output columns, a row-parallel one
// (Shard(1)) a partial sum over its input columns, summed over the tp ranks
// here (the bias, whole, added once after the sum). A column-parallel
// input gradient is partial too: its parent sums it (its q, k, v or w1, w3
// share one dx).
#include "titan/compute/gemm.hpp"
#include "titan/compute/token_kernels.hpp"
#include "titan/modules/linear.hpp"

namespace titan {

bool Linear::row_parallel(StepContext const& ctx) const {
  return ctx.weights.split(*_weight) && _weight->placements()[tp].shard_dim == 1;
}

bool Linear::column_parallel(StepContext const& ctx) const {
  return ctx.weights.split(*_weight) && _weight->placements()[tp].shard_dim == 0;
}

Act Linear::forward(StepContext& ctx, Act const& x) {
  ctx.inject_fault(fqn());
  FMat const w = ctx.weights.mat(*_weight);
  Act y = new_act(fqn(), x.extent(0), w.extent(0));
  linear(x, w, y, ctx.fc);
  if (row_parallel(ctx)) ctx.tp_all_reduce(y);
  if (_bias) add_bias(y, ctx.weights.vec(*_bias));
  if (ctx.keep_for_backward) _x = x;
  return y;
}

void Linear::backward_into(StepContext& ctx, Act const& dy, FMat dx, float beta) {
  require_internal(_x.extent(0) == dy.extent(0), fqn() + ": backward without its forward's input");
  linear_input_grad(dy, ctx.weights.mat(*_weight), beta, dx, ctx.fc);
  linear_weight_grad(dy, _x, ctx.weights.grad_mat(*_weight), ctx.fc);
  if (_bias) bias_grad(dy, ctx.weights.grad_vec(*_bias));
  _x = Act();
}

Act Linear::backward(StepContext& ctx, Act const& dy) {
  Act dx = new_act(fqn() + ".dx", dy.extent(0), ctx.weights.mat(*_weight).extent(1));
  backward_into(ctx, dy, dx, 0.0f);
  return dx;
}

// The output head, in vocabulary chunks; vocabulary-parallel when split:
// this rank's V/tp columns of the logits, its part of dL/dx summed over the
// tp ranks in the backward.
Act Linear::forward_chunked(StepContext& ctx, Act const& x, std::int64_t chunk_rows) {
  std::int64_t const N = x.extent(0);
  // Plain variables, not a structured binding: C++17 lambdas cannot capture
  // those (clang refuses; g++ accepts it as an extension).
  std::array<std::int64_t, 2> const range = ctx.weights.row_range(*_weight);
  std::int64_t const lo = range[0], hi = range[1];
  std::int64_t const out = hi - lo;
  bool const one_chunk = chunk_rows >= out;  // the product goes straight into y
  Act y, part;
  ctx.guarded([&] {
    bool const given = ctx.logits.extent(0) == static_cast<std::size_t>(N) && ctx.logits.extent(1) == static_cast<std::size_t>(out);
    y = given ? ctx.logits : new_act(fqn(), N, out);
    if (!one_chunk) part = new_act(fqn() + ".chunk", N, chunk_rows);
  });
  for (std::int64_t v0 = lo; v0 < hi; v0 += chunk_rows) {
    std::int64_t const v1 = std::min(hi, v0 + chunk_rows);
    FMat w = ctx.weights.rows(*_weight, v0, v1);
    ctx.guarded([&] {
      if (one_chunk) {
        linear(x, w, y, ctx.fc);
        return;
      }
      FMat yc(part.data(), N, v1 - v0);
      linear(x, w, yc, ctx.fc);
      copy_columns(yc, y, v0 - lo);
    });
  }
  if (ctx.keep_for_backward) _x = x;
  return y;
}

Act Linear::backward_chunked(StepContext& ctx, Act const& dy, std::int64_t chunk_rows) {
  require_internal(_x.extent(0) == dy.extent(0), fqn() + ": backward without its forward's input");
  std::int64_t const N = dy.extent(0);
  std::array<std::int64_t, 2> const range = ctx.weights.row_range(*_weight);
  std::int64_t const lo = range[0], hi = range[1];
  std::int64_t const out = hi - lo;
  bool const one_chunk = chunk_rows >= out;  // dy is the chunk itself
  Act dx, part;
  ctx.guarded([&] {
    dx = new_act(fqn() + ".dx", N, _in);
    if (!one_chunk) part = new_act(fqn() + ".dchunk", N, chunk_rows);
  });
  for (std::int64_t v0 = lo; v0 < hi; v0 += chunk_rows) {
    std::int64_t const v1 = std::min(hi, v0 + chunk_rows);
    FMat w = ctx.weights.rows(*_weight, v0, v1);
    ctx.guarded([&] {
      FMat dyc = one_chunk ? FMat(dy.data(), N, out) : FMat(part.data(), N, v1 - v0);
      if (!one_chunk) slice_columns(dy, v0 - lo, dyc);
      linear_input_grad(dyc, w, v0 == lo ? 0.0f : 1.0f, dx, ctx.fc);
      linear_weight_grad(dyc, _x, ctx.weights.grad_rows(*_weight, v0, v1), ctx.fc);
    });
    ctx.weights.reduce_grad_rows(*_weight, v0, v1);
  }
  if (ctx.weights.split(*_weight)) ctx.tp_all_reduce(dx);
  _x = Act();
  return dx;
}

LayerFlops Linear::flops(std::int64_t n_seq, std::int64_t T) const {
  // y = x W^T; backward dx = dy W and dW += dy^T x (chunked or not, the same products).
  double const f = 2.0 * static_cast<double>(n_seq * T) * static_cast<double>(_in) * static_cast<double>(_out);
  return {f, 2 * f};
}

ActivationBytes Linear::activation_bytes(std::int64_t n_seq, std::int64_t T) const {
  double const N = static_cast<double>(n_seq * T);
  ActivationBytes a;
  a.kept = 4 * N * static_cast<double>(_in);      // its input
  a.forward = 4 * N * static_cast<double>(_out);  // y
  a.backward = 4 * N * static_cast<double>(_in);  // dx
  return a;
}

}  // namespace titan
