// The pre-norm transformer block's forward and backward (residuals summed
// into the sublayers' fresh outputs: nothing a sublayer kept is overwritten).
#include "titan/compute/gemm.hpp"
#include "titan/modules/transformer_block.hpp"

namespace titan {

Act TransformerBlock::forward(StepContext& ctx, Act const& x) {
  require_internal(computes(), fqn() + ": the block lacks attention, attention_norm, feed_forward/moe or ffn_norm");
  Act h = _attention->forward(ctx, _attention_norm->forward(ctx, x));
  add_into(h, x);
  Act out = _ffn->forward(ctx, _ffn_norm->forward(ctx, h));
  add_into(out, h);
  return out;
}

Act TransformerBlock::backward(StepContext& ctx, Act const& dy) {
  Act dh = _ffn_norm->backward(ctx, _ffn->backward(ctx, dy));
  add_into(dh, dy);
  Act dx = _attention_norm->backward(ctx, _attention->backward(ctx, dh));
  add_into(dx, dh);
  return dx;
}

}  // namespace titan
