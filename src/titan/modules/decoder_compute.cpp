// The decoder's forward and backward over its module tree: the embedding and
// output head in vocabulary chunks, each block gathered (FSDP-style) just
// before it computes, the next block's gather started before it computes
// (prefetch), dropped after, re-gathered for its backward, its gradients
// reduced onto the owners' shards when its backward is done.
// Every stretch between two collectives runs in ctx.guarded(): a failure on
// one rank ends the pass on every rank. A block's own collectives (tensor
// parallelism's all-reduces, expert parallelism's all-to-alls) split its
// guarded stretch through ctx.before_collective().
#include "titan/modules/decoder.hpp"
#include "titan/modules/tensor_parallel_plan.hpp"

#include "titan/compute/shard_group.hpp"

namespace titan {

std::int64_t Decoder::logits_columns() const {
  return tp_splits_vocab(*output_weight(), _vocab_size, tp_size()) ? _vocab_size / tp_size() : _vocab_size;
}

std::int64_t Decoder::vocab_chunk_rows() const {
  return std::max<std::int64_t>(1, std::min<std::int64_t>(_vocab_size, (std::int64_t(16) << 20) / _dim));
}

std::int64_t Decoder::largest_block_regions(bool gathered_only) const {
  Mesh const& mesh = build_context().mesh;
  TpPlan const plan = plan_tensor_parallel(*this, mesh);
  std::int64_t n = _dim;  // the final norm at least
  for (auto const& ps : _block_params) {
    std::int64_t b = 0;
    for (Parameter const* p : ps) {
      // What WeightStore gathers for compute (compute_keep): a tp-split
      // parameter's tp slice, an ep-sharded one's ep block of experts, else
      // all of it; coordinate 0's region is the largest (torch.chunk).
      MeshDimMask const keep = compute_keep(plan.split.count(p) > 0);
      bool const local = p->dtype() == DType::float32 && (shard_dims(p->placements(), mesh) & ~keep) == 0;
      if (gathered_only && local) continue;  // read in place (ParamGather::fully_local)
      b += kept_region(p->shape(), p->placements(), mesh, {}, keep).numel();
    }
    n = std::max(n, b);
  }
  return n;
}

std::int64_t Decoder::largest_block_numel() const { return largest_block_regions(false); }
std::int64_t Decoder::largest_gathered_block_numel() const { return largest_block_regions(true); }

bool Decoder::computes_from_local_shards() const {
  Mesh const& mesh = build_context().mesh;
  TpPlan const plan = plan_tensor_parallel(*this, mesh);
  for (auto const& p : parameters()) {  // ParamGather::fully_local for each
    MeshDimMask const keep = compute_keep(plan.split.count(p.get()) > 0);
    if (p->dtype() != DType::float32 || (shard_dims(p->placements(), mesh) & ~keep) != 0) return false;
  }
  return true;
}

std::int64_t Decoder::largest_parameter_numel() const {
  std::int64_t n = 0;
  for (auto const& p : parameters()) n = std::max(n, p->numel());
  return n;
}

LanguageModel::BlocksBytes Decoder::blocks_activation_bytes(std::int64_t n_seq, std::int64_t T) const {
  BlocksBytes b;
  for (TransformerBlock const* blk : _blocks) {
    ActivationBytes const a = blk->activation_bytes(n_seq, T);
    b.kept += a.kept;
    b.largest_kept = std::max(b.largest_kept, a.kept);
    b.forward = std::max(b.forward, a.forward);
    b.backward = std::max(b.backward, a.backward);
    b.kept_inputs += 4.0 * static_cast<double>(n_seq * T * _dim);
  }
  return b;
}

// Mirrors forward() and backward() below: each block and the final norm
// gathered before the forward and again before the backward (FSDP's
// reshard after forward; recomputation under activation checkpointing
// reuses the backward's gather), the embedding's rows in the forward only
// (its backward needs no weights), the output head's in both.
std::vector<LanguageModel::ParamUse> Decoder::param_uses(bool training) const {
  int const twice = training ? 2 : 1, reduced = training ? 1 : 0;
  std::vector<ParamUse> u;
  u.push_back({_tok_embeddings->weight().get(), 1, reduced});
  for (auto const& ps : _block_params)
    for (Parameter const* p : ps) u.push_back({p, twice, reduced});
  u.push_back({_norm->weight().get(), twice, reduced});
  u.push_back({_output->weight().get(), twice, reduced});
  return u;
}

double Decoder::train_step_flops(std::int64_t n_seq, std::int64_t T, bool checkpointing) const {
  double total = 0;
  for (TransformerBlock const* blk : _blocks) {
    LayerFlops const f = blk->flops(n_seq, T);
    total += f.forward * (checkpointing ? 2 : 1) + f.backward;
  }
  LayerFlops const head = _output->flops(n_seq, T);  // the embedding's lookup and its gradient multiply nothing
  return total + head.forward + head.backward;
}

Act Decoder::forward(StepContext& ctx) {
  require_internal(_freqs_cis->allocated(), "the RoPE table is not allocated");
  ctx.freqs = FreqsView(_freqs_cis->data().data(), _freqs_cis->shape()[0], _freqs_cis->shape()[1], _freqs_cis->shape()[2]);
  ctx.rope_style = _rope.rotate_half ? RopeStyle::rotate_half : RopeStyle::interleaved;
  std::int64_t const chunk = vocab_chunk_rows();
  Act x = _tok_embeddings->forward(ctx, chunk);
  ctx.guarded([&] { ctx.require_finite(x, "the embedding's output ('" + _tok_embeddings->weight()->fqn() + "')"); });
  ctx.step();
  bool const checkpoint = ctx.keep_for_backward && ctx.checkpoint_blocks;
  _block_inputs.assign(checkpoint ? _blocks.size() : 0, Act());
  Parameter const* norm_w = _norm->weight().get();
  for (std::size_t i = 0; i < _blocks.size(); ++i) {
    ctx.weights.gather(_block_params[i]);
    // The next group's gather runs while this block computes.
    ctx.weights.prefetch(i + 1 < _blocks.size() ? _block_params[i + 1] : std::vector<Parameter const*>{norm_w});
    ctx.guarded([&] {
      if (checkpoint) {  // keep the block's input only; backward recomputes the rest
        _block_inputs[i] = x;
        ctx.keep_for_backward = false;
        x = _blocks[i]->forward(ctx, x);
        ctx.keep_for_backward = true;
      } else {
        x = _blocks[i]->forward(ctx, x);
      }
      ctx.require_finite(x, "the output of layer '" + _blocks[i]->fqn() + "'");
    });
    ctx.weights.release();
    ctx.step();
  }
  ctx.weights.gather({norm_w});
  ctx.guarded([&] { x = _norm->forward(ctx, x); });
  ctx.weights.release();
  Act logits = _output->forward_chunked(ctx, x, chunk);
  ctx.guarded([&] {
    ctx.require_finite(logits, "the logits (after '" + norm_w->fqn() + "' and '" + _output->weight()->fqn() + "')");
  });
  ctx.step();
  return logits;
}

void Decoder::backward(StepContext& ctx, Act const& dlogits) {
  std::int64_t const chunk = vocab_chunk_rows();
  Act dx = _output->backward_chunked(ctx, dlogits, chunk);
  Parameter const* norm_w = _norm->weight().get();
  ctx.weights.gather({norm_w});
  if (!_blocks.empty()) ctx.weights.prefetch(_block_params.back());
  ctx.guarded([&] {
    ctx.weights.begin_grads();
    dx = _norm->backward(ctx, dx);
  });
  ctx.weights.reduce_grads();
  ctx.weights.release();
  bool const checkpoint = !_block_inputs.empty();
  for (std::size_t i = _blocks.size(); i-- > 0;) {
    ctx.weights.gather(_block_params[i]);
    if (i > 0) ctx.weights.prefetch(_block_params[i - 1]);
    ctx.guarded([&] {
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
    });
    ctx.weights.reduce_grads();
    ctx.weights.release();
  }
  _block_inputs.clear();
  _tok_embeddings->backward(ctx, dx, chunk);
}

}  // namespace titan
