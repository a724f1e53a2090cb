// RMSNorm's forward and backward.
#include "titan/compute/norm_kernels.hpp"
#include "titan/modules/rms_norm.hpp"

namespace titan {

Act RMSNorm::forward(StepContext& ctx, Act const& x) {
  Act y = new_act(fqn(), x.extent(0), x.extent(1));
  rms_norm(x, ctx.weights.vec(*_weight), _eps, y);
  if (ctx.keep_for_backward) _x = x;
  return y;
}

Act RMSNorm::backward(StepContext& ctx, Act const& dy) {
  require_internal(_x.extent(0) == dy.extent(0), fqn() + ": backward without its forward's input");
  Act dx = new_act(fqn() + ".dx", dy.extent(0), dy.extent(1));
  rms_norm_backward(_x, ctx.weights.vec(*_weight), _eps, dy, 0.0f, dx, ctx.weights.grad_vec(*_weight));
  _x = Act();
  return dx;
}

LayerFlops RMSNorm::flops(std::int64_t, std::int64_t) const { return {}; }  // no matrix product

ActivationBytes RMSNorm::activation_bytes(std::int64_t n_seq, std::int64_t T) const {
  // Over rows of its own width (a model norm; the attention counts its per-head norms itself).
  double const N = static_cast<double>(n_seq * T), W = static_cast<double>(_weight->shape()[0]);
  ActivationBytes a;
  a.kept = 4 * N * W;
  a.forward = 4 * N * W;
  a.backward = 4 * N * W + 4 * N;  // dx and one rstd per row
  return a;
}

}  // namespace titan
