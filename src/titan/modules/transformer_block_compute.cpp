// The pre-norm transformer block's forward and backward (residuals summed
// into the sublayers' fresh outputs: nothing a sublayer kept is overwritten).
#include "titan/compute/gemm.hpp"
#include "titan/modules/transformer_block.hpp"

#include <algorithm>

namespace titan {

Act TransformerBlock::forward(StepContext& ctx, Act const& x) {
  require_internal(computes(), fqn() + ": the block lacks attention, attention_norm, feed_forward/moe or ffn_norm");
  Act const xn = _attention_norm->forward(ctx, x);
  ctx.weights.progress();  // lets the next block's prefetched gather move on between sublayers
  Act h = _attention->forward(ctx, xn);
  add_into(h, x);
  ctx.weights.progress();
  Act const hn = _ffn_norm->forward(ctx, h);
  ctx.weights.progress();
  Act out = _ffn->forward(ctx, hn);
  add_into(out, h);
  return out;
}

Act TransformerBlock::backward(StepContext& ctx, Act const& dy) {
  Act const dffn = _ffn->backward(ctx, dy);
  ctx.weights.progress();
  Act dh = _ffn_norm->backward(ctx, dffn);
  add_into(dh, dy);
  ctx.weights.progress();
  Act const datt = _attention->backward(ctx, dh);
  ctx.weights.progress();
  Act dx = _attention_norm->backward(ctx, datt);
  add_into(dx, dh);
  return dx;
}

LayerFlops TransformerBlock::flops(std::int64_t n_seq, std::int64_t T) const {
  LayerFlops f;
  if (!computes()) return f;
  for (Layer const* l : {_attention_norm, _attention, _ffn_norm, _ffn}) {
    LayerFlops const lf = l->flops(n_seq, T);
    f.forward += lf.forward;
    f.backward += lf.backward;
  }
  return f;
}

ActivationBytes TransformerBlock::activation_bytes(std::int64_t n_seq, std::int64_t T) const {
  ActivationBytes a;
  if (!computes()) return a;
  ActivationBytes const an = _attention_norm->activation_bytes(n_seq, T), at = _attention->activation_bytes(n_seq, T);
  ActivationBytes const fn = _ffn_norm->activation_bytes(n_seq, T), ff = _ffn->activation_bytes(n_seq, T);
  a.kept = an.kept + at.kept + fn.kept + ff.kept;
  // Forward: the attention's output becomes h and stays while the FFN runs.
  double const h = 4 * static_cast<double>(n_seq * T * _dim);  // the residual stream, alive through the FFN
  a.forward = std::max(an.forward + at.forward, h + fn.forward + ff.forward);
  a.backward = std::max(ff.backward + fn.backward, fn.backward + at.backward + an.backward);
  return a;
}

}  // namespace titan
