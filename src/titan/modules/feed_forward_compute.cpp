// The dense SwiGLU feed-forward's forward and backward. Under tensor
// parallelism w1/w3 are column-parallel and w2 row-parallel (each tp rank
// its hidden/tp units; w2 sums the partial outputs): the input gradient of
// w1 and w3 is partial and summed over the tp ranks here.
#include "titan/compute/activation_kernels.hpp"
#include "titan/modules/feed_forward.hpp"
#include "titan/modules/tensor_parallel_plan.hpp"

namespace titan {

Act FeedForward::forward(StepContext& ctx, Act const& x) {
  Act h1 = _w1->forward(ctx, x);
  Act h3 = _w3->forward(ctx, x);
  bool const keep = ctx.keep_for_backward;
  Act a = keep ? new_act(fqn() + ".a", h1.extent(0), h1.extent(1)) : h1;  // in place when nothing is kept
  silu_mul(h1, h3, a);
  if (keep) {
    _h1 = h1;
    _h3 = h3;
  }
  return _w2->forward(ctx, a);
}

Act FeedForward::backward(StepContext& ctx, Act const& dy) {
  require_internal(_h1.extent(0) == dy.extent(0), fqn() + ": backward without its forward's activations");
  Act da = _w2->backward(ctx, dy);
  silu_mul_backward(_h1, _h3, da, _h1, _h3);  // the gradients overwrite the pre-activations
  Act dh1 = _h1, dh3 = _h3;
  _h1 = Act();
  _h3 = Act();
  Act dx = _w1->backward(ctx, dh1);
  _w3->backward_into(ctx, dh3, dx, 1.0f);
  if (_w1->column_parallel(ctx)) ctx.tp_all_reduce(dx);
  return dx;
}

LayerFlops FeedForward::flops(std::int64_t n_seq, std::int64_t T) const {
  LayerFlops f;
  for (Linear const* l : {_w1, _w2, _w3}) {
    LayerFlops const lf = l->flops(n_seq, T);
    f.forward += lf.forward;
    f.backward += lf.backward;
  }
  return f;
}

ActivationBytes FeedForward::activation_bytes(std::int64_t n_seq, std::int64_t T) const {
  int const tp_ways = tp_splits(*this, build_context().mesh.size(tp)) ? build_context().mesh.size(tp) : 1;  // this rank's hidden units
  double const N = static_cast<double>(n_seq * T), F = static_cast<double>(_hidden) / tp_ways,
               D = static_cast<double>(_w1->in_features());
  ActivationBytes a;
  a.kept = 4 * N * (D + 3 * F);          // x (w1 and w3 share it), h1, h3, a (w2's input)
  a.forward = 4 * N * (3 * F + D);       // h1, h3, a (h1 reused when nothing is kept), out
  a.backward = 4 * N * (F + D);          // da, dx (dh1, dh3 overwrite h1, h3)
  return a;
}

}  // namespace titan
