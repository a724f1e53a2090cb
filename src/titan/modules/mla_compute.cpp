// Multi-head latent attention's forward and backward. Under tensor
// parallelism wq (or wq_b) and wkv_b are column-parallel by heads and wo
// row-parallel: each tp rank computes H/tp heads; the low-rank wq_a, wkv_a
// and their norms are computed whole by every tp rank. In the backward the
// head-split parts of the gradients reaching the replicated path (the
// compressed kv's, k_pe's shared by the heads, the low-rank q's, or x's
// through a direct wq) are partial and summed over the tp ranks first.
#include "titan/compute/attention_core.hpp"
#include "titan/compute/mla_kernels.hpp"
#include "titan/compute/rope_kernels.hpp"
#include "titan/compute/token_kernels.hpp"
#include "titan/modules/mla.hpp"
#include "titan/modules/tensor_parallel_plan.hpp"

namespace titan {

Act MLAttention::forward(StepContext& ctx, Act const& x) {
  std::int64_t const T = ctx.T, B = ctx.n_seq, N = x.extent(0);
  std::int64_t const H = ctx.weights.mat(*_wkv_b->weight()).extent(0) / (_nope + _v_head_dim);  // this rank's heads
  // Query: directly, or through the low-rank path with its RMSNorm (236B, 671B).
  Act q = _q_lora_rank == 0 ? _wq->forward(ctx, x) : _wq_b->forward(ctx, _q_norm->forward(ctx, _wq_a->forward(ctx, x)));
  // Keys and values from the compressed kv; k_pe stays in kv_a's last columns.
  Act kv_a = _wkv_a->forward(ctx, x);
  Act ckv = new_act(fqn() + ".ckv", N, _kv_lora_rank);
  slice_columns(kv_a, 0, ckv);
  Act kv = _wkv_b->forward(ctx, _kv_norm->forward(ctx, ckv));
  Act4 qh = new_act4(fqn() + ".qh", B, H, T, _qk_head_dim);
  Act4 kh = new_act4(fqn() + ".kh", B, H, T, _qk_head_dim);
  Act4 vh = new_act4(fqn() + ".vh", B, H, T, _v_head_dim);
  mla_q_to_heads(q, _nope, _rope, T, ctx.freqs, qh);
  mla_kv_to_heads(kv, kv_a, _kv_lora_rank, _nope, T, ctx.freqs, kh, vh);
  // Every head has its own k and v (no GQA); v may be narrower than q.k.
  Act4 oh = new_act4(fqn() + ".oh", B, H, T, _v_head_dim);
  attention_forward(qh, kh, vh, static_cast<float>(_softmax_scale), AttentionMask{}, FVec(), oh, ctx.fc);
  Act o = new_act(fqn() + ".o", N, H * _v_head_dim);
  heads_to_rows(oh, o);
  if (ctx.keep_for_backward) {
    _qh = qh;
    _kh = kh;
    _vh = vh;
  }
  return _wo->forward(ctx, o);
}

Act MLAttention::backward(StepContext& ctx, Act const& dy) {
  require_internal(static_cast<std::int64_t>(_qh.extent(0)) * ctx.T == static_cast<std::int64_t>(dy.extent(0)),
                   fqn() + ": backward without its forward's activations");
  std::int64_t const H = _qh.extent(1), T = ctx.T, B = ctx.n_seq, N = dy.extent(0);  // this rank's heads
  bool const split = _wkv_b->column_parallel(ctx);
  Act d_o = _wo->backward(ctx, dy);
  Act4 doh = new_act4(fqn() + ".doh", B, H, T, _v_head_dim);
  rows_to_heads(d_o, doh);
  d_o = Act();
  Act4 dqh = new_act4(fqn() + ".dqh", B, H, T, _qk_head_dim);
  Act4 dkh = zero_act4(fqn() + ".dkh", B, H, T, _qk_head_dim);
  Act4 dvh = zero_act4(fqn() + ".dvh", B, H, T, _v_head_dim);
  attention_backward(_qh, _kh, _vh, static_cast<float>(_softmax_scale), AttentionMask{}, FVec(), doh, dqh, dkh, dvh,
                     FVec(), ctx.fc);
  _qh = Act4();
  _kh = Act4();
  _vh = Act4();
  // Keys and values back to the compressed kv and k_pe.
  Act dkv = new_act(fqn() + ".dkv", N, H * (_nope + _v_head_dim));
  Act dk_pe = new_act(fqn() + ".dk_pe", N, _rope);
  mla_kv_from_heads_grad(dkh, dvh, _nope, T, ctx.freqs, dkv, dk_pe);
  Act dckv_normed = _wkv_b->backward(ctx, dkv);
  if (split) {  // this rank's heads' parts
    ctx.tp_all_reduce(dckv_normed);
    ctx.tp_all_reduce(dk_pe);
  }
  Act dckv = _kv_norm->backward(ctx, dckv_normed);
  Act dkv_a = new_act(fqn() + ".dkv_a", N, _kv_lora_rank + _rope);
  copy_columns(dckv, dkv_a, 0);
  copy_columns(dk_pe, dkv_a, _kv_lora_rank);
  Act dq = new_act(fqn() + ".dq", N, H * _qk_head_dim);
  mla_q_from_heads_grad(dqh, _nope, T, ctx.freqs, dq);
  if (split) {  // the query path's partial sum over the heads first, then the (whole) kv path's part
    Act dx;
    if (_q_lora_rank == 0) {
      dx = _wq->backward(ctx, dq);
      ctx.tp_all_reduce(dx);
    } else {
      Act dq_a = _wq_b->backward(ctx, dq);
      ctx.tp_all_reduce(dq_a);
      dx = _wq_a->backward(ctx, _q_norm->backward(ctx, dq_a));
    }
    _wkv_a->backward_into(ctx, dkv_a, dx, 1.0f);
    return dx;
  }
  Act dx = _wkv_a->backward(ctx, dkv_a);
  // The query path.
  if (_q_lora_rank == 0) {
    _wq->backward_into(ctx, dq, dx, 1.0f);
  } else {
    _wq_a->backward_into(ctx, _q_norm->backward(ctx, _wq_b->backward(ctx, dq)), dx, 1.0f);
  }
  return dx;
}

LayerFlops MLAttention::flops(std::int64_t n_seq, std::int64_t T) const {
  LayerFlops f;
  for (Linear const* l : {_wq, _wq_a, _wq_b, _wkv_a, _wkv_b, _wo}) {
    if (l == nullptr) continue;  // wq, or wq_a and wq_b
    LayerFlops const lf = l->flops(n_seq, T);
    f.forward += lf.forward;
    f.backward += lf.backward;
  }
  double fwd = 0, bwd = 0;
  attention_core_flops(n_seq, _n_heads, T, _qk_head_dim, _v_head_dim, AttentionMask{}, fwd, bwd);
  return {f.forward + fwd, f.backward + bwd};
}

ActivationBytes MLAttention::activation_bytes(std::int64_t n_seq, std::int64_t T) const {
  double const N = static_cast<double>(n_seq * T), D = static_cast<double>(_wkv_a->in_features());
  int const tp_ways = tp_splits(*this, build_context().mesh.size(tp)) ? build_context().mesh.size(tp) : 1;  // this rank's heads
  double const H = static_cast<double>(_n_heads) / tp_ways, qk = static_cast<double>(_qk_head_dim),
               vd = static_cast<double>(_v_head_dim), kl = static_cast<double>(_kv_lora_rank),
               r = static_cast<double>(_rope), ql = static_cast<double>(_q_lora_rank), nope = static_cast<double>(_nope);
  double const t = static_cast<double>(T);
  double const q = N * H * qk, kv_a = N * (kl + r), ckv = N * kl, kv = N * H * (nope + vd), heads = 2 * q + N * H * vd;
  ActivationBytes a;
  a.kept = 4 * (N * D + 2 * N * ql + kv_a + 2 * ckv + heads + N * H * vd);  // x, the q-lora path, kv_a, ckv + normed, qh kh vh, o
  a.forward = 4 * (2 * N * ql + q + kv_a + 2 * ckv + kv + heads + 2 * N * H * vd + N * D + t * t);
  a.backward = 4 * (2 * N * H * vd + heads + kv + N * r + 2 * ckv + kv_a + q + N * D + 2 * N * ql + 2 * t * t + 2 * t);
  return a;
}

}  // namespace titan
