// Grouped-query attention's forward and backward: projections (with biases
// where the Linears have them), per-head q/k norms, RoPE into head-major
// buffers, the attention core (causal, chunked or windowed, with sinks), the
// output projection. Under tensor parallelism (wq/wk/wv column-parallel, wo
// row-parallel) each tp rank computes its n_heads/tp query and n_kv_heads/tp
// key/value heads (the sinks of its heads; the per-head norms apply to any
// heads): the head counts below are the local ones, read off the weights.
#include "titan/compute/attention_core.hpp"
#include "titan/compute/rope_kernels.hpp"
#include "titan/modules/attention.hpp"
#include "titan/modules/tensor_parallel_plan.hpp"

namespace titan {

namespace {
AttentionMask mask_of(std::int64_t chunk, std::int64_t window) {
  AttentionMask m;
  m.chunk = chunk;
  m.window = window;
  return m;
}
}  // namespace

Act Attention::forward(StepContext& ctx, Act const& x) {
  std::int64_t const hd = _head_dim, T = ctx.T, B = ctx.n_seq, N = x.extent(0);
  std::int64_t const n_heads = ctx.weights.mat(*_wq->weight()).extent(0) / hd;   // this rank's
  std::int64_t const n_kv_heads = ctx.weights.mat(*_wk->weight()).extent(0) / hd;
  Act q = _wq->forward(ctx, x);
  Act k = _wk->forward(ctx, x);
  Act v = _wv->forward(ctx, x);
  bool const keep = ctx.keep_for_backward;
  if (_qk_norm) {  // per head, before RoPE (Qwen3); the norms keep their inputs
    q = _q_norm->forward(ctx, q);
    k = _k_norm->forward(ctx, k);
  }
  Act4 qh = new_act4(fqn() + ".qh", B, n_heads, T, hd);
  Act4 kh = new_act4(fqn() + ".kh", B, n_kv_heads, T, hd);
  Act4 vh = new_act4(fqn() + ".vh", B, n_kv_heads, T, hd);
  rope_to_heads(q, n_heads, hd, T, ctx.freqs, ctx.rope_style, _use_rope, qh);
  rope_to_heads(k, n_kv_heads, hd, T, ctx.freqs, ctx.rope_style, _use_rope, kh);
  rope_to_heads(v, n_kv_heads, hd, T, ctx.freqs, ctx.rope_style, false, vh);
  q = Act();
  k = Act();
  v = Act();
  FVec const sinks = _sinks ? ctx.weights.vec(*_sinks) : FVec();
  Act4 oh = new_act4(fqn() + ".oh", B, n_heads, T, hd);
  attention_forward(qh, kh, vh, static_cast<float>(_softmax_scale), mask_of(_chunk_size, _sliding_window), sinks, oh,
                    ctx.fc);
  Act o = new_act(fqn() + ".o", N, n_heads * hd);
  heads_to_rows(oh, o);
  if (keep) {
    _qh = qh;
    _kh = kh;
    _vh = vh;
  }
  return _wo->forward(ctx, o);
}

Act Attention::backward(StepContext& ctx, Act const& dy) {
  require_internal(static_cast<std::int64_t>(_qh.extent(0)) * ctx.T == static_cast<std::int64_t>(dy.extent(0)), fqn() + ": backward without its forward's activations");
  std::int64_t const hd = _head_dim, T = ctx.T, B = ctx.n_seq, N = dy.extent(0);
  std::int64_t const n_heads = _qh.extent(1), n_kv_heads = _kh.extent(1);  // this rank's
  Act d_o = _wo->backward(ctx, dy);
  Act4 doh = new_act4(fqn() + ".doh", B, n_heads, T, hd);
  rows_to_heads(d_o, doh);
  d_o = Act();
  Act4 dqh = new_act4(fqn() + ".dqh", B, n_heads, T, hd);
  Act4 dkh = zero_act4(fqn() + ".dkh", B, n_kv_heads, T, hd);
  Act4 dvh = zero_act4(fqn() + ".dvh", B, n_kv_heads, T, hd);
  FVec const sinks = _sinks ? ctx.weights.vec(*_sinks) : FVec();
  FVec const dsinks = _sinks ? ctx.weights.grad_vec(*_sinks) : FVec();
  attention_backward(_qh, _kh, _vh, static_cast<float>(_softmax_scale), mask_of(_chunk_size, _sliding_window), sinks,
                     doh, dqh, dkh, dvh, dsinks, ctx.fc);
  _qh = Act4();
  _kh = Act4();
  _vh = Act4();
  Act dq = new_act(fqn() + ".dq", N, n_heads * hd);
  Act dk = new_act(fqn() + ".dk", N, n_kv_heads * hd);
  Act dv = new_act(fqn() + ".dv", N, n_kv_heads * hd);
  rope_from_heads_grad(dqh, T, ctx.freqs, ctx.rope_style, _use_rope, dq);
  rope_from_heads_grad(dkh, T, ctx.freqs, ctx.rope_style, _use_rope, dk);
  rope_from_heads_grad(dvh, T, ctx.freqs, ctx.rope_style, false, dv);
  if (_qk_norm) {
    dq = _q_norm->backward(ctx, dq);
    dk = _k_norm->backward(ctx, dk);
  }
  Act dx = _wq->backward(ctx, dq);
  _wk->backward_into(ctx, dk, dx, 1.0f);
  _wv->backward_into(ctx, dv, dx, 1.0f);
  if (_wq->column_parallel(ctx)) ctx.tp_all_reduce(dx);  // each tp rank's heads' part
  return dx;
}

LayerFlops Attention::flops(std::int64_t n_seq, std::int64_t T) const {
  LayerFlops f;
  for (Linear const* l : {_wq, _wk, _wv, _wo}) {
    LayerFlops const lf = l->flops(n_seq, T);
    f.forward += lf.forward;
    f.backward += lf.backward;
  }
  double fwd = 0, bwd = 0;
  attention_core_flops(n_seq, _n_heads, T, _head_dim, _head_dim, mask_of(_chunk_size, _sliding_window), fwd, bwd);
  return {f.forward + fwd, f.backward + bwd};
}

ActivationBytes Attention::activation_bytes(std::int64_t n_seq, std::int64_t T) const {
  double const N = static_cast<double>(n_seq * T), D = static_cast<double>(_wq->in_features());
  int const tp_ways = tp_splits(*this, build_context().mesh.size(tp)) ? build_context().mesh.size(tp) : 1;  // this rank's heads
  double const q = N * static_cast<double>(_n_heads * _head_dim) / tp_ways,
               kv = N * static_cast<double>(_n_kv_heads * _head_dim) / tp_ways;
  double const side = static_cast<double>(_chunk_size > 0 && _chunk_size < T ? _chunk_size : T);
  double const norms = _qk_norm ? q + kv : 0;  // the normed q and k beside their inputs
  ActivationBytes a;
  a.kept = 4 * (N * D + norms + q + 2 * kv + q);             // x, norm inputs, qh, kh, vh, o
  a.forward = 4 * (q + 2 * kv + norms + q + 2 * kv + q + q + N * D + side * side);  // q k v, normed, heads, oh, o, y, scores
  a.backward = 4 * (q + q + q + 2 * kv + q + 2 * kv + N * D + 2 * side * side + 2 * side);  // do, doh, dqh dkh dvh, dq dk dv, dx, p dp
  return a;
}

}  // namespace titan
