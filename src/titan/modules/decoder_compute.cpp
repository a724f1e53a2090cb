// The decoder's forward and backward over its module tree: the embedding and
// output head in vocabulary chunks, each block gathered (FSDP-style) just
// before it computes and dropped after, re-gathered for its backward, its
// gradients reduced onto the owners' shards when its backward is done.
#include "titan/modules/decoder.hpp"

namespace titan {

std::int64_t Decoder::vocab_chunk_rows() const {
  return std::max<std::int64_t>(1, std::min<std::int64_t>(_vocab_size, (std::int64_t(16) << 20) / _dim));
}

Act Decoder::forward(StepContext& ctx) {
  require_internal(_freqs_cis->allocated(), "the RoPE table is not allocated");
  ctx.freqs = FreqsView(_freqs_cis->data().data(), _freqs_cis->shape()[0], _freqs_cis->shape()[1], _freqs_cis->shape()[2]);
  ctx.rope_style = _rope.rotate_half ? RopeStyle::rotate_half : RopeStyle::interleaved;
  std::int64_t const chunk = vocab_chunk_rows();
  Act x = _tok_embeddings->forward(ctx, chunk);
  bool const checkpoint = ctx.keep_for_backward && ctx.checkpoint_blocks;
  _block_inputs.assign(checkpoint ? _blocks.size() : 0, Act());
  for (std::size_t i = 0; i < _blocks.size(); ++i) {
    ctx.weights.gather(_block_params[i]);
    if (checkpoint) {  // keep the block's input only; backward recomputes the rest
      _block_inputs[i] = x;
      ctx.keep_for_backward = false;
      x = _blocks[i]->forward(ctx, x);
      ctx.keep_for_backward = true;
    } else {
      x = _blocks[i]->forward(ctx, x);
    }
    ctx.weights.release();
  }
  Parameter const* norm_w = _norm->weight().get();
  ctx.weights.gather({norm_w});
  x = _norm->forward(ctx, x);
  ctx.weights.release();
  return _output->forward_chunked(ctx, x, chunk);
}

void Decoder::backward(StepContext& ctx, Act const& dlogits) {
  std::int64_t const chunk = vocab_chunk_rows();
  Act dx = _output->backward_chunked(ctx, dlogits, chunk);
  Parameter const* norm_w = _norm->weight().get();
  ctx.weights.gather({norm_w});
  ctx.weights.begin_grads();
  dx = _norm->backward(ctx, dx);
  ctx.weights.reduce_grads();
  ctx.weights.release();
  bool const checkpoint = !_block_inputs.empty();
  for (std::size_t i = _blocks.size(); i-- > 0;) {
    ctx.weights.gather(_block_params[i]);
    ctx.weights.begin_grads();
    if (checkpoint) {  // recompute the block's inside from its kept input
      bool const was_keeping = ctx.keep_for_backward, was_recomputing = ctx.recomputing;
      ctx.keep_for_backward = true;
      ctx.recomputing = true;
      _blocks[i]->forward(ctx, _block_inputs[i]);
      ctx.keep_for_backward = was_keeping;
      ctx.recomputing = was_recomputing;
      _block_inputs[i] = Act();
    }
    dx = _blocks[i]->backward(ctx, dx);
    ctx.weights.reduce_grads();
    ctx.weights.release();
  }
  _block_inputs.clear();
  _tok_embeddings->backward(ctx, dx, chunk);
}

}  // namespace titan
