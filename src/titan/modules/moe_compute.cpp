// The mixture of experts' forward and backward: the router (scores, top-k,
// gates), the dispatch of each token to its K experts, the experts on their
// rows, the gate-weighted combination, the shared experts. The top-k choice
// is not differentiated; the gates are (torch's semantics).
#include "titan/compute/activation_kernels.hpp"
#include "titan/compute/gemm.hpp"
#include "titan/modules/moe.hpp"

#include <mpi.h>

#include <string>

namespace titan {

namespace {

// Rows [offset[e], offset[e+1]) of m (a view of expert e's rows).
FMat expert_rows(Act const& m, std::vector<std::int64_t> const& offset, std::int64_t e) {
  std::int64_t const r0 = offset[e], rows = offset[e + 1] - r0, w = m.extent(1);
  return FMat(m.data() + r0 * w, rows, w);
}
FMat slice(F3 t, std::int64_t e) { return FMat(t.data() + e * t.extent(1) * t.extent(2), t.extent(1), t.extent(2)); }
FVec row(FMat m, std::int64_t e) { return FVec(m.data() + e * m.extent(1), m.extent(1)); }

// The experts the rows are grouped by (all E, or this rank's E/ep under
// expert parallelism): as many as the gathered weights have.
std::int64_t local_experts(F3 w, std::vector<std::int64_t> const& offset, std::string const& who) {
  std::int64_t const n = static_cast<std::int64_t>(offset.size()) - 1;
  require_internal(static_cast<std::int64_t>(w.extent(0)) == n,
                   who + ": rows grouped for " + std::to_string(n) + " experts, weights gathered for " +
                       std::to_string(w.extent(0)));
  return n;
}

// Seconds since t0 (MPI_Wtime).
double since(double t0) { return MPI_Wtime() - t0; }

}  // namespace

// ---- Router

Routing Router::forward(StepContext& ctx, Act const& x, FVec expert_bias) {
  Act scores = _gate->forward(ctx, x);  // logits [N, E] (with gpt-oss's bias)
  Routing r = route_tokens(scores, expert_bias, _route);
  if (ctx.keep_for_backward) _scores = scores;
  return r;
}

void Router::backward(StepContext& ctx, Routing const& r, Act const& dgates, FMat dx) {
  require_internal(_scores.extent(0) == dgates.extent(0), fqn() + ": backward without its forward's scores");
  Act dlogits = new_act(fqn() + ".dlogits", _scores.extent(0), _scores.extent(1));
  route_backward(_scores, r, dgates, _route, dlogits);
  _scores = Act();
  _gate->backward_into(ctx, dlogits, dx, 1.0f);
}

// ---- SwiGLU experts

Act GroupedExperts::forward(StepContext& ctx, Act const& xs, std::vector<std::int64_t> const& offset) {
  std::int64_t const NK = xs.extent(0);
  F3 const w1 = ctx.weights.t3(*_w1), w2 = ctx.weights.t3(*_w2), w3 = ctx.weights.t3(*_w3);
  std::int64_t const experts = local_experts(w1, offset, fqn());
  Act ys = new_act(fqn() + ".y", NK, _dim);
  Act h1 = new_act(fqn() + ".h1", NK, _hidden), h3 = new_act(fqn() + ".h3", NK, _hidden);
  bool const keep = ctx.keep_for_backward;
  Act a = keep ? new_act(fqn() + ".a", NK, _hidden) : h1;
  for (std::int64_t e = 0; e < experts; ++e) {
    if (offset[e + 1] == offset[e]) continue;
    FMat xe = expert_rows(xs, offset, e), h1e = expert_rows(h1, offset, e), h3e = expert_rows(h3, offset, e);
    FMat ae = expert_rows(a, offset, e);
    linear(xe, slice(w1, e), h1e, ctx.fc);
    linear(xe, slice(w3, e), h3e, ctx.fc);
    silu_mul(h1e, h3e, ae);
    linear(ae, slice(w2, e), expert_rows(ys, offset, e), ctx.fc);
  }
  if (keep) {
    _xs = xs;
    _h1 = h1;
    _h3 = h3;
    _a = a;
    _offset = offset;
  }
  return ys;
}

Act GroupedExperts::backward(StepContext& ctx, Act const& dys) {
  require_internal(_xs.extent(0) == dys.extent(0), fqn() + ": backward without its forward's activations");
  std::int64_t const NK = dys.extent(0);
  F3 const w1 = ctx.weights.t3(*_w1), w2 = ctx.weights.t3(*_w2), w3 = ctx.weights.t3(*_w3);
  F3 const g1 = ctx.weights.grad_t3(*_w1), g2 = ctx.weights.grad_t3(*_w2), g3 = ctx.weights.grad_t3(*_w3);
  Act dxs = new_act(fqn() + ".dx", NK, _dim);
  Act da = new_act(fqn() + ".da", NK, _hidden);
  for (std::int64_t e = 0; e + 1 < static_cast<std::int64_t>(_offset.size()); ++e) {
    if (_offset[e + 1] == _offset[e]) continue;
    FMat dye = expert_rows(dys, _offset, e), dae = expert_rows(da, _offset, e);
    FMat h1e = expert_rows(_h1, _offset, e), h3e = expert_rows(_h3, _offset, e), xe = expert_rows(_xs, _offset, e);
    linear_input_grad(dye, slice(w2, e), 0.0f, dae, ctx.fc);
    linear_weight_grad(dye, expert_rows(_a, _offset, e), slice(g2, e), ctx.fc);
    silu_mul_backward(h1e, h3e, dae, h1e, h3e);  // h1, h3 <- their gradients
    FMat dxe = expert_rows(dxs, _offset, e);
    linear_input_grad(h1e, slice(w1, e), 0.0f, dxe, ctx.fc);
    linear_input_grad(h3e, slice(w3, e), 1.0f, dxe, ctx.fc);
    linear_weight_grad(h1e, xe, slice(g1, e), ctx.fc);
    linear_weight_grad(h3e, xe, slice(g3, e), ctx.fc);
  }
  _xs = _h1 = _h3 = _a = Act();
  return dxs;
}

// ---- gpt-oss experts

Act GptOssExperts::forward(StepContext& ctx, Act const& xs, std::vector<std::int64_t> const& offset) {
  std::int64_t const NK = xs.extent(0);
  F3 const w1 = ctx.weights.t3(*_mlp1), w2 = ctx.weights.t3(*_mlp2);
  std::int64_t const experts = local_experts(w1, offset, fqn());
  FMat const b1 = ctx.weights.mat(*_mlp1_bias), b2 = ctx.weights.mat(*_mlp2_bias);
  Act ys = new_act(fqn() + ".y", NK, _dim);
  Act h = new_act(fqn() + ".h", NK, 2 * _hidden), a = new_act(fqn() + ".a", NK, _hidden);
  for (std::int64_t e = 0; e < experts; ++e) {
    if (offset[e + 1] == offset[e]) continue;
    FMat xe = expert_rows(xs, offset, e), he = expert_rows(h, offset, e), ae = expert_rows(a, offset, e);
    FMat ye = expert_rows(ys, offset, e);
    linear(xe, slice(w1, e), he, ctx.fc);
    add_bias(he, row(b1, e));
    clamped_swiglu(he, ae, _limit, _alpha);
    linear(ae, slice(w2, e), ye, ctx.fc);
    add_bias(ye, row(b2, e));
  }
  if (ctx.keep_for_backward) {
    _xs = xs;
    _h = h;
    _a = a;
    _offset = offset;
  }
  return ys;
}

Act GptOssExperts::backward(StepContext& ctx, Act const& dys) {
  require_internal(_xs.extent(0) == dys.extent(0), fqn() + ": backward without its forward's activations");
  std::int64_t const NK = dys.extent(0);
  F3 const w1 = ctx.weights.t3(*_mlp1), w2 = ctx.weights.t3(*_mlp2);
  F3 const g1 = ctx.weights.grad_t3(*_mlp1), g2 = ctx.weights.grad_t3(*_mlp2);
  FMat const gb1 = ctx.weights.grad_mat(*_mlp1_bias), gb2 = ctx.weights.grad_mat(*_mlp2_bias);
  Act dxs = new_act(fqn() + ".dx", NK, _dim);
  Act da = new_act(fqn() + ".da", NK, _hidden);
  for (std::int64_t e = 0; e + 1 < static_cast<std::int64_t>(_offset.size()); ++e) {
    if (_offset[e + 1] == _offset[e]) continue;
    FMat dye = expert_rows(dys, _offset, e), dae = expert_rows(da, _offset, e), he = expert_rows(_h, _offset, e);
    linear_input_grad(dye, slice(w2, e), 0.0f, dae, ctx.fc);
    linear_weight_grad(dye, expert_rows(_a, _offset, e), slice(g2, e), ctx.fc);
    bias_grad(dye, row(gb2, e));
    clamped_swiglu_backward(he, dae, he, _limit, _alpha);  // h <- its gradient
    linear_input_grad(he, slice(w1, e), 0.0f, expert_rows(dxs, _offset, e), ctx.fc);
    linear_weight_grad(he, expert_rows(_xs, _offset, e), slice(g1, e), ctx.fc);
    bias_grad(he, row(gb1, e));
  }
  _xs = _h = _a = Act();
  return dxs;
}

// ---- MoE

Act MoE::forward(StepContext& ctx, Act const& x) {
  std::int64_t const N = x.extent(0), D = x.extent(1);
  FVec const bias = _expert_bias ? FVec(_expert_bias->data().data(), _experts) : FVec();
  Routing r = _router->forward(ctx, x, bias);
  Act xs = new_act(fqn() + ".xs", N * _top_k, D);
  dispatch_rows(x, r, _score_before_experts, xs);
  Act ys;
  bool const split = expert_parallel();
  require_internal(!split || ctx.weights.expert_ranks() == _ep_ranks, fqn() + ": built for another mesh's ep");
  if (split) {  // expert parallel: the rows go to their experts' ranks and come back
    ctx.before_collective();  // plan's and to_experts' all-to-alls, back to back
    double bytes = 0, t0 = MPI_Wtime();
    _dispatch.plan(ctx.weights.expert_comm(), r.offset);
    Act const local = _dispatch.to_experts(xs, bytes);
    double seconds = since(t0);
    xs = Act();
    Act const ys_local = _experts_layer->forward(ctx, local, _dispatch.local_offset());
    ctx.before_collective();
    t0 = MPI_Wtime();
    ys = _dispatch.from_experts(ys_local, bytes);
    ctx.weights.count_all_to_all(bytes, seconds + since(t0));
  } else {
    ys = _experts_layer->forward(ctx, xs, r.offset);
  }
  if (!ctx.recomputing) record_load(r, split);
  Act out = new_act(fqn() + ".out", N, D);
  combine_rows(ys, r, _score_before_experts, out);
  if (_shared) add_into(out, _shared->forward(ctx, x));
  if (ctx.count_routing && !ctx.recomputing) {  // tokens per expert, for load balancing
    std::vector<double> const c = titan::tokens_per_expert(r);
    auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), _tokens_per_expert->data());
    for (std::int64_t e = 0; e < _experts; ++e) h(e) += static_cast<float>(c[static_cast<std::size_t>(e)]);
    Kokkos::deep_copy(_tokens_per_expert->data(), h);
  }
  if (ctx.keep_for_backward) {
    _x = x;
    _ys = ys;
    _routing = std::move(r);
  }
  return out;
}

Act MoE::backward(StepContext& ctx, Act const& dy) {
  require_internal(_x.extent(0) == dy.extent(0), fqn() + ": backward without its forward's activations");
  std::int64_t const N = dy.extent(0), D = dy.extent(1);
  Act dx = _shared ? _shared->backward(ctx, dy) : new_act(fqn() + ".dx", N, D);
  Act dys = new_act(fqn() + ".dys", N * _top_k, D);
  Act dgates = new_act(fqn() + ".dgates", N, _top_k);
  combine_rows_backward(dy, _ys, _routing, _score_before_experts, dys, dgates);
  _ys = Act();
  Act dxs;
  if (expert_parallel()) {  // the output gradients to the experts' ranks, the input gradients back
    ctx.before_collective();
    double bytes = 0, t0 = MPI_Wtime();
    Act const local = _dispatch.to_experts(dys, bytes);
    double seconds = since(t0);
    dys = Act();
    Act const dxs_local = _experts_layer->backward(ctx, local);
    ctx.before_collective();
    t0 = MPI_Wtime();
    dxs = _dispatch.from_experts(dxs_local, bytes);
    ctx.weights.count_all_to_all(bytes, seconds + since(t0));
  } else {
    dxs = _experts_layer->backward(ctx, dys);
  }
  dispatch_rows_backward(dxs, _x, _routing, _score_before_experts, _shared ? 1.0f : 0.0f, dx, dgates);
  _router->backward(ctx, _routing, dgates, dx);
  _x = Act();
  _routing = Routing();
  return dx;
}

void MoE::record_load(Routing const& r, bool expert_parallel) {
  std::vector<double> const routed = titan::tokens_per_expert(r);
  _load.routed = routed;
  _load.computed.assign(routed.size(), 0.0);
  if (!expert_parallel) {
    _load.computed = routed;
    return;
  }
  std::vector<std::int64_t> const& lo = _dispatch.local_offset();
  for (std::int64_t i = 0; i < _dispatch.local_experts(); ++i)
    _load.computed[static_cast<std::size_t>(_dispatch.first_expert() + i)] = static_cast<double>(lo[i + 1] - lo[i]);
}

LayerFlops Router::flops(std::int64_t n_seq, std::int64_t T) const { return _gate->flops(n_seq, T); }

LayerFlops GroupedExperts::flops(std::int64_t rows) const {
  // Each routed row through its expert's w1, w3 [Fm, D] and w2 [D, Fm]; the backward twice that.
  double const f = 3 * 2.0 * static_cast<double>(rows) * static_cast<double>(_dim) * static_cast<double>(_hidden);
  return {f, 2 * f};
}

LayerFlops GptOssExperts::flops(std::int64_t rows) const {
  // mlp1 [2 Fm, D] and mlp2 [D, Fm]; the backward twice that.
  double const f = 3 * 2.0 * static_cast<double>(rows) * static_cast<double>(_dim) * static_cast<double>(_hidden);
  return {f, 2 * f};
}

LayerFlops MoE::flops(std::int64_t n_seq, std::int64_t T) const {
  LayerFlops const g = _router->flops(n_seq, T), ex = _experts_layer->flops(n_seq * T * _top_k);
  LayerFlops const sh = _shared ? _shared->flops(n_seq, T) : LayerFlops{};
  return {g.forward + ex.forward + sh.forward, g.backward + ex.backward + sh.backward};
}

ActivationBytes GroupedExperts::activation_bytes(std::int64_t rows) const {
  double const R = static_cast<double>(rows), F = static_cast<double>(_hidden), D = static_cast<double>(_dim);
  ActivationBytes a;
  a.kept = 4 * R * (D + 3 * F);      // xs, h1, h3, a
  a.forward = 4 * R * (D + 3 * F);   // y, h1, h3, a
  a.backward = 4 * R * (D + F);      // dx, da
  return a;
}

ActivationBytes GptOssExperts::activation_bytes(std::int64_t rows) const {
  double const R = static_cast<double>(rows), F = static_cast<double>(_hidden), D = static_cast<double>(_dim);
  ActivationBytes a;
  a.kept = 4 * R * (D + 3 * F);      // xs, h [2 Fm], a
  a.forward = 4 * R * (D + 3 * F);   // y, h, a
  a.backward = 4 * R * (D + F);      // dx, da
  return a;
}

ActivationBytes MoE::activation_bytes(std::int64_t n_seq, std::int64_t T) const {
  double const N = static_cast<double>(n_seq * T), E = static_cast<double>(_experts), K = static_cast<double>(_top_k);
  ActivationBytes const ex = _experts_layer->activation_bytes(n_seq * T * _top_k);
  ActivationBytes const sh = _shared ? _shared->activation_bytes(n_seq, T) : ActivationBytes{};
  double const width = static_cast<double>(_dim);
  double const routing = 4 * N * E + 8 * N * K + 4 * N * K + 4 * N + 8 * N * K + 8 * N * K;  // scores, chosen, gates, total, slots
  ActivationBytes a;
  a.kept = routing + 4 * N * width + 4 * N * K * width + ex.kept + sh.kept;  // + x, ys
  a.forward = routing + 4 * N * K * width + ex.forward + 4 * N * width + sh.forward;  // + xs, out
  a.backward = 4 * N * K * width + 4 * N * K + ex.backward + 4 * N * E + 4 * N * width + sh.backward;  // dys, dgates, dlogits, dx
  if (expert_parallel()) {
    // The dispatch (expert_dispatch.hpp), its rows counted as if routing
    // were balanced (this rank's experts computing N*K rows, as many as its
    // tokens route): the received rows and the rows sent back live beside
    // the experts' own buffers in each pass; the plan (its row order) is
    // kept for backward.
    a.kept += 8 * N * K;
    a.forward += 2 * 4 * N * K * width;
    a.backward += 2 * 4 * N * K * width;
  }
  return a;
}

}  // namespace titan
