// One transformer block of every family's kind, built from its module
// configs, on synthetic weights: titan's forward against a scalar
// double-precision reference written here from the spec (model_families.md
// 3.2-3.5, 4.1-4.5) and torchtitan's forward code, and titan's backward
// (every parameter's gradient and the input's) against float64 central
// finite differences of that reference (block_harness.hpp).
// Kinds: GQA attention with q/k norms, rotate-half or interleaved RoPE, NoPE,
// chunked (Llama4), sinks with a sliding window and biased projections
// (gpt-oss); MLA with and without the low-rank q (DeepSeek-V3); dense SwiGLU;
// MoE with softmax/sigmoid routers, expert_bias, route_norm, route_scale,
// node-limited groups, shared experts, the gate before the experts (Llama4),
// gpt-oss's clamped experts with biases and a biased router.
#include "block_harness.hpp"

#include "titan/modules/attention.hpp"
#include "titan/modules/mla.hpp"
#include "titan/modules/moe.hpp"
#include "titan/modules/transformer_block.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace titan;
using namespace titan_test;

namespace {

enum class Attn { gqa, mla };
enum class Ffn { dense, moe, gpt_oss_moe };

struct Case {
  // attention
  Attn attn = Attn::gqa;
  RopeStyle style = RopeStyle::rotate_half;
  bool qk_norm = true;
  bool use_rope = true;          // false: a NoPE layer
  std::int64_t chunk = 0;        // > 0: causal within chunks (Llama4)
  std::int64_t window = 0;       // > 0: sliding window (gpt-oss)
  bool sinks = false;            // gpt-oss
  bool proj_bias = false;        // gpt-oss: biases on wq, wk, wv, wo
  double scale = 0;              // 0: hd^-0.5
  std::int64_t D = 12, Hq = 4, Hkv = 2, hd = 4, T = 5, B = 2;
  // MLA
  std::int64_t q_lora = 0, kv_lora = 6, nope = 4, rope = 4, vd = 3;
  // feed-forward
  Ffn ffn = Ffn::moe;
  std::int64_t F = 10;
  bool softmax = true;
  bool route_norm = true;
  double route_scale = 1.5;
  bool bias = true;              // expert_bias (load balancing) present
  bool router_bias = false;      // gpt-oss's biased gate
  std::int64_t shared = 4;       // hidden of the shared experts; 0 = none
  std::int64_t groups = 0, limited = 0;
  bool score_before = false;
  std::int64_t E = 5, K = 2, Fm = 6;
  double limit = 7.0, alpha = 1.702;
};

double const eps = 1e-6;

// ---- the reference, in float64, reading weights by FQN

Vec matvec(Weights const& w, std::string const& name, Vec const& x, std::int64_t out, std::int64_t off = 0) {
  std::int64_t const in = static_cast<std::int64_t>(x.size());
  Vec const& m = w(name);
  Vec y(static_cast<std::size_t>(out), 0.0);
  for (std::int64_t o = 0; o < out; ++o)
    for (std::int64_t i = 0; i < in; ++i) y[o] += m[static_cast<std::size_t>(off + o * in + i)] * x[i];
  return y;
}
void add_vec(Vec& y, Weights const& w, std::string const& name, std::int64_t off = 0) {
  for (std::size_t i = 0; i < y.size(); ++i) y[i] += w.at(name, off + static_cast<std::int64_t>(i));
}
Vec rmsnorm(Vec const& x, Weights const& w, std::string const& name) {
  double ms = 0;
  for (double v : x) ms += v * v;
  ms /= static_cast<double>(x.size());
  Vec y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) y[i] = x[i] / std::sqrt(ms + eps) * w.at(name, static_cast<std::int64_t>(i));
  return y;
}
double silu(double v) { return v / (1.0 + std::exp(-v)); }
Vec swiglu(Weights const& w, std::string const& p, Vec const& x, std::int64_t F, std::int64_t D, std::int64_t e = -1) {
  std::string const s = e < 0 ? ".weight" : "";
  std::int64_t const o13 = e < 0 ? 0 : e * F * D, o2 = e < 0 ? 0 : e * D * F;
  Vec a = matvec(w, p + "w1" + s, x, F, o13), b = matvec(w, p + "w3" + s, x, F, o13), h(static_cast<std::size_t>(F));
  for (std::int64_t j = 0; j < F; ++j) h[j] = silu(a[j]) * b[j];
  return matvec(w, p + "w2" + s, h, D, o2);
}

// Rotates the pairs of one head's features z (rope width `rw` starting at `at`) by position t.
void rotate(Vec& z, std::int64_t at, std::int64_t rw, bool rotate_half, std::int64_t t, HarnessOptions const& o) {
  Vec const part(z.begin() + at, z.begin() + at + rw);
  for (std::int64_t j = 0; j < rw / 2; ++j) {
    double const ang = rope_angle(o, t, j);
    std::int64_t const a = rotate_half ? j : 2 * j, b = rotate_half ? j + rw / 2 : 2 * j + 1;
    z[at + a] = part[a] * std::cos(ang) - part[b] * std::sin(ang);
    z[at + b] = part[b] * std::cos(ang) + part[a] * std::sin(ang);
  }
}

// Causal (chunked, windowed) attention with optional sinks; q, k [N][H*dk], v [N][H*dv].
Vec attend(std::vector<Vec> const& q, std::vector<Vec> const& k, std::vector<Vec> const& v, Case const& c,
           std::int64_t H, std::int64_t Hk, std::int64_t dk, std::int64_t dv, double scale, Weights const& w,
           std::int64_t n) {
  std::int64_t const T = c.T, b = n / T, t = n % T;
  Vec o(static_cast<std::size_t>(H * dv), 0.0);
  for (std::int64_t h = 0; h < H; ++h) {
    std::int64_t const g = h / (H / Hk);
    std::int64_t u0 = c.chunk > 0 ? t / c.chunk * c.chunk : 0;
    if (c.window > 0) u0 = std::max(u0, t - c.window + 1);
    Vec s;
    for (std::int64_t u = u0; u <= t; ++u) {
      double dot = 0;
      for (std::int64_t e = 0; e < dk; ++e) dot += q[n][h * dk + e] * k[b * T + u][g * dk + e];
      s.push_back(dot * scale);
    }
    double den = c.sinks ? std::exp(w.at("attention.sinks", h)) : 0.0;  // the sink: no value
    for (double& z : s) den += (z = std::exp(z));
    for (std::int64_t u = u0; u <= t; ++u)
      for (std::int64_t e = 0; e < dv; ++e) o[h * dv + e] += s[u - u0] / den * v[b * T + u][g * dv + e];
  }
  return o;
}

std::vector<Vec> gqa(Case const& c, Weights const& w, std::vector<Vec> const& xn, HarnessOptions const& o) {
  std::int64_t const N = c.B * c.T, Hq = c.Hq, Hkv = c.Hkv, hd = c.hd;
  std::vector<Vec> q(N), k(N), v(N), y(N);
  for (std::int64_t n = 0; n < N; ++n) {
    q[n] = matvec(w, "attention.wq.weight", xn[n], Hq * hd);
    k[n] = matvec(w, "attention.wk.weight", xn[n], Hkv * hd);
    v[n] = matvec(w, "attention.wv.weight", xn[n], Hkv * hd);
    if (c.proj_bias) {
      add_vec(q[n], w, "attention.wq.bias");
      add_vec(k[n], w, "attention.wk.bias");
      add_vec(v[n], w, "attention.wv.bias");
    }
    for (auto [z, heads, norm] : {std::make_tuple(&q[n], Hq, "attention.q_norm.weight"),
                                  std::make_tuple(&k[n], Hkv, "attention.k_norm.weight")})
      for (std::int64_t h = 0; h < heads; ++h) {
        if (c.qk_norm) {  // per head, before RoPE
          Vec const part = rmsnorm(Vec(z->begin() + h * hd, z->begin() + (h + 1) * hd), w, norm);
          std::copy(part.begin(), part.end(), z->begin() + h * hd);
        }
        if (c.use_rope) rotate(*z, h * hd, hd, c.style == RopeStyle::rotate_half, n % c.T, o);
      }
  }
  double const scale = c.scale > 0 ? c.scale : 1.0 / std::sqrt(static_cast<double>(hd));
  for (std::int64_t n = 0; n < N; ++n) {
    y[n] = matvec(w, "attention.wo.weight", attend(q, k, v, c, Hq, Hkv, hd, hd, scale, w, n), c.D);
    if (c.proj_bias) add_vec(y[n], w, "attention.wo.bias");
  }
  return y;
}

std::vector<Vec> mla(Case const& c, Weights const& w, std::vector<Vec> const& xn, HarnessOptions const& o) {
  std::int64_t const N = c.B * c.T, H = c.Hq, qk = c.nope + c.rope;
  std::vector<Vec> q(N), k(N), v(N), y(N);
  for (std::int64_t n = 0; n < N; ++n) {
    std::int64_t const t = n % c.T;
    q[n] = c.q_lora == 0 ? matvec(w, "attention.wq.weight", xn[n], H * qk)
                         : matvec(w, "attention.wq_b.weight",
                                  rmsnorm(matvec(w, "attention.wq_a.weight", xn[n], c.q_lora), w, "attention.q_norm.weight"),
                                  H * qk);
    Vec const kv_a = matvec(w, "attention.wkv_a.weight", xn[n], c.kv_lora + c.rope);
    Vec const ckv = rmsnorm(Vec(kv_a.begin(), kv_a.begin() + c.kv_lora), w, "attention.kv_norm.weight");
    Vec const kv = matvec(w, "attention.wkv_b.weight", ckv, H * (c.nope + c.vd));
    Vec k_pe(kv_a.begin() + c.kv_lora, kv_a.end());
    rotate(k_pe, 0, c.rope, false, t, o);  // complex pairs, one k_pe per token shared by the heads
    k[n].assign(static_cast<std::size_t>(H * qk), 0.0);
    v[n].assign(static_cast<std::size_t>(H * c.vd), 0.0);
    for (std::int64_t h = 0; h < H; ++h) {
      rotate(q[n], h * qk + c.nope, c.rope, false, t, o);
      for (std::int64_t e = 0; e < c.nope; ++e) k[n][h * qk + e] = kv[h * (c.nope + c.vd) + e];
      for (std::int64_t e = 0; e < c.rope; ++e) k[n][h * qk + c.nope + e] = k_pe[e];
      for (std::int64_t e = 0; e < c.vd; ++e) v[n][h * c.vd + e] = kv[h * (c.nope + c.vd) + c.nope + e];
    }
  }
  double const scale = c.scale > 0 ? c.scale : 1.0 / std::sqrt(static_cast<double>(qk));
  for (std::int64_t n = 0; n < N; ++n)
    y[n] = matvec(w, "attention.wo.weight", attend(q, k, v, c, H, H, qk, c.vd, scale, w, n), c.D);
  return y;
}

Vec gpt_oss_expert(Weights const& w, Vec const& x, Case const& c, std::int64_t e) {
  std::int64_t const D = c.D, Fm = c.Fm;
  Vec a(static_cast<std::size_t>(Fm));
  for (std::int64_t f = 0; f < Fm; ++f) {  // rows 2f gate, 2f+1 up
    double hg = w.at("moe.experts.mlp1_bias", e * 2 * Fm + 2 * f), hu = w.at("moe.experts.mlp1_bias", e * 2 * Fm + 2 * f + 1);
    for (std::int64_t d = 0; d < D; ++d) {
      hg += w.at("moe.experts.mlp1_weight", (e * 2 * Fm + 2 * f) * D + d) * x[d];
      hu += w.at("moe.experts.mlp1_weight", (e * 2 * Fm + 2 * f + 1) * D + d) * x[d];
    }
    hg = std::min(hg, c.limit);  // the gate: clamped from above only
    hu = std::max(-c.limit, std::min(hu, c.limit));
    a[f] = hg / (1.0 + std::exp(-c.alpha * hg)) * (hu + 1.0);
  }
  Vec y = matvec(w, "moe.experts.mlp2_weight", a, D, e * D * Fm);
  add_vec(y, w, "moe.experts.mlp2_bias", e * D);
  return y;
}

Vec moe(Case const& c, Weights const& w, Vec const& hn) {
  std::int64_t const D = c.D, E = c.E, K = c.K;
  Vec sc = matvec(w, "moe.router.gate.weight", hn, E);
  if (c.router_bias) add_vec(sc, w, "moe.router.gate.bias");
  if (c.softmax) {
    double const mx = *std::max_element(sc.begin(), sc.end());
    double sum = 0;
    for (double& z : sc) sum += (z = std::exp(z - mx));
    for (double& z : sc) z /= sum;
  } else {
    for (double& z : sc) z = 1.0 / (1.0 + std::exp(-z));
  }
  auto biased = [&](std::int64_t e) { return sc[e] + (c.bias ? w.at("moe.expert_bias", e) : 0.0); };
  std::vector<std::int64_t> order(static_cast<std::size_t>(E));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) { return biased(a) > biased(b); });
  if (c.groups > 0) {  // keep the `limited` groups with the largest sum of their two best biased scores
    std::int64_t const per = E / c.groups;
    Vec gs(static_cast<std::size_t>(c.groups));
    for (std::int64_t g = 0; g < c.groups; ++g) {
      Vec m;
      for (std::int64_t e = g * per; e < (g + 1) * per; ++e) m.push_back(biased(e));
      std::sort(m.rbegin(), m.rend());
      gs[g] = m[0] + m[1];
    }
    std::vector<std::int64_t> gorder(static_cast<std::size_t>(c.groups));
    std::iota(gorder.begin(), gorder.end(), 0);
    std::stable_sort(gorder.begin(), gorder.end(), [&](std::int64_t a, std::int64_t b) { return gs[a] > gs[b]; });
    std::vector<bool> keep(static_cast<std::size_t>(c.groups), false);
    for (std::int64_t l = 0; l < c.limited; ++l) keep[gorder[l]] = true;
    std::stable_partition(order.begin(), order.end(), [&](std::int64_t e) { return keep[e / per]; });
  }
  double denom = 0;
  for (std::int64_t kk = 0; kk < K; ++kk) denom += sc[order[kk]];
  Vec out(static_cast<std::size_t>(D), 0.0);
  for (std::int64_t kk = 0; kk < K; ++kk) {
    std::int64_t const e = order[kk];
    double g = sc[e];  // the unbiased score
    if (c.route_norm) g /= denom + 1e-20;
    g *= c.route_scale;
    if (c.ffn == Ffn::gpt_oss_moe) {
      Vec const y = gpt_oss_expert(w, hn, c, e);
      for (std::int64_t d = 0; d < D; ++d) out[d] += g * y[d];
    } else if (c.score_before) {  // expert(gate * x)
      Vec gx(hn);
      for (double& z : gx) z *= g;
      Vec const y = swiglu(w, "moe.experts.", gx, c.Fm, D, e);
      for (std::int64_t d = 0; d < D; ++d) out[d] += y[d];
    } else {
      Vec const y = swiglu(w, "moe.experts.", hn, c.Fm, D, e);
      for (std::int64_t d = 0; d < D; ++d) out[d] += g * y[d];
    }
  }
  if (c.shared > 0) {
    Vec const y = swiglu(w, "moe.shared_experts.", hn, c.shared, D);
    for (std::int64_t d = 0; d < D; ++d) out[d] += y[d];
  }
  return out;
}

Vec reference(Case const& c, Weights const& w, Vec const& x, HarnessOptions const& o) {
  std::int64_t const N = c.B * c.T, D = c.D;
  std::vector<Vec> xs(N), xn(N);
  for (std::int64_t n = 0; n < N; ++n) {
    xs[n] = Vec(x.begin() + n * D, x.begin() + (n + 1) * D);
    xn[n] = rmsnorm(xs[n], w, "attention_norm.weight");
  }
  std::vector<Vec> const att = c.attn == Attn::mla ? mla(c, w, xn, o) : gqa(c, w, xn, o);
  Vec y(static_cast<std::size_t>(N * D));
  for (std::int64_t n = 0; n < N; ++n) {
    Vec h = xs[n];
    for (std::int64_t d = 0; d < D; ++d) h[d] += att[n][d];
    Vec const hn = rmsnorm(h, w, "ffn_norm.weight");
    Vec const f = c.ffn == Ffn::dense ? swiglu(w, "feed_forward.", hn, c.F, D) : moe(c, w, hn);
    for (std::int64_t d = 0; d < D; ++d) y[n * D + d] = h[d] + f[d];
  }
  return y;
}

// ---- titan's block from module configs

// One rank: every parameter replicated (the module configs need a placement for each).
void replicate(ModuleConfig& c, std::initializer_list<char const*> names) {
  for (char const* n : names) c.sharding[n] = replicated();
}

RMSNorm::Config norm_config() {
  RMSNorm::Config n;
  n.eps = eps;
  replicate(n, {"weight"});
  return n;
}

Linear::Config linear_config(bool bias) {
  Linear::Config l;
  l.bias = bias;
  replicate(l, {"weight", "bias"});
  return l;
}

FeedForward::Config swiglu_config(std::int64_t hidden) {
  FeedForward::Config f;
  f.hidden_dim = hidden;
  f.w1 = f.w2 = f.w3 = linear_config(false);
  return f;
}

TransformerBlock::Config block_config(Case const& c) {
  TransformerBlock::Config b;
  if (c.attn == Attn::mla) {
    MLAttention::Config a;
    a.n_heads = c.Hq;
    a.q_lora_rank = c.q_lora;
    a.kv_lora_rank = c.kv_lora;
    a.qk_nope_head_dim = c.nope;
    a.qk_rope_head_dim = c.rope;
    a.v_head_dim = c.vd;
    a.q_norm = a.kv_norm = norm_config();
    a.wq = a.wq_a = a.wq_b = a.wkv_a = a.wkv_b = a.wo = linear_config(false);
    b.add("attention", a);
  } else {
    Attention::Config a;
    a.n_heads = c.Hq;
    a.n_kv_heads = c.Hkv;
    a.head_dim = c.hd;
    a.wq = a.wk = a.wv = a.wo = linear_config(c.proj_bias);
    if (c.qk_norm) a.q_norm = a.k_norm = norm_config();
    a.use_rope = c.use_rope;
    a.chunk_size = c.chunk;
    a.sliding_window = c.window;
    a.sinks = c.sinks;
    if (c.scale > 0) a.softmax_scale = c.scale;
    replicate(a, {"sinks"});
    b.add("attention", a);
  }
  if (c.ffn == Ffn::dense) {
    b.add("feed_forward", swiglu_config(c.F));
  } else {
    MoE::Config m;
    m.num_experts = c.E;
    m.hidden_dim = c.Fm;
    if (c.ffn == Ffn::gpt_oss_moe) {
      GptOssExperts::Config e;
      e.swiglu_limit = c.limit;
      e.swiglu_alpha = c.alpha;
      replicate(e, {"mlp1_weight", "mlp1_bias", "mlp2_weight", "mlp2_bias"});
      m.experts = std::make_shared<GptOssExperts::Config const>(e);
    } else {
      GroupedExperts::Config e;
      replicate(e, {"w1", "w2", "w3"});
      m.experts = std::make_shared<GroupedExperts::Config const>(e);
    }
    m.router.gate = linear_config(c.router_bias);
    m.router.top_k = c.K;
    m.router.score_func = c.softmax ? "softmax" : "sigmoid";
    m.router.route_norm = c.route_norm;
    m.router.route_scale = c.route_scale;
    if (c.groups > 0) {
      m.router.num_expert_groups = c.groups;
      m.router.num_limited_groups = c.limited;
    }
    if (c.shared > 0) {
      m.shared_experts = swiglu_config(c.shared);
    }
    if (!c.bias) m.load_balance_coeff.reset();
    m.score_before_experts = c.score_before;
    b.add("moe", m);
  }
  b.add("attention_norm", norm_config());
  b.add("ffn_norm", norm_config());
  return b;
}

void run_case(Case const& c, HarnessOptions o = {}) {
  o.B = c.B;
  o.T = c.T;
  o.D = c.D;
  o.rope_dim = c.attn == Attn::mla ? c.rope : c.hd;
  o.rope_style = c.style;
  if (c.ffn != Ffn::dense && c.bias) {
    std::mt19937 rng(99);
    std::uniform_real_distribution<float> u(-0.2f, 0.2f);
    std::vector<float> b(static_cast<std::size_t>(c.E));
    for (auto& v : b) v = u(rng);
    o.buffers["moe.expert_bias"] = b;
  }
  auto block = block_config(c).build(one_rank_context(), {{"dim", c.D}});
  HarnessResult const r = check_layer(*block, [&](Weights const& w, Vec const& x) { return reference(c, w, x, o); }, o);
  CHECK(r.flops > 0);
  CHECK(r.tensors_nonzero >= r.tensors_checked / 2);  // most gradients are exercised
}

}  // namespace

TEST_CASE("block: Qwen3 style (q/k norms, rotate-half RoPE, Hq*hd != D, softmax MoE top-2 with expert_bias, route_norm, route_scale, shared experts)",
          "[compute][gradients]") {
  run_case(Case{});
}

TEST_CASE("block: MoE with a sigmoid router, no route_norm, no expert_bias, no shared experts, top-3", "[compute][gradients]") {
  Case c;
  c.softmax = false;
  c.route_norm = false;
  c.route_scale = 1.0;
  c.bias = false;
  c.shared = 0;
  c.K = 3;
  run_case(c);
}

TEST_CASE("block: node-limited MoE (DeepSeek-V3): 8 experts in 4 groups, 2 kept, sigmoid, expert_bias, route_norm, top-3",
          "[compute][gradients]") {
  Case c;
  c.softmax = false;
  c.E = 8;
  c.groups = 4;
  c.limited = 2;
  c.K = 3;
  c.route_scale = 2.5;
  run_case(c);
}

TEST_CASE("block: Llama3 style (interleaved RoPE, no q/k norms, dense SwiGLU, GQA)", "[compute][gradients]") {
  Case c;
  c.style = RopeStyle::interleaved;
  c.qk_norm = false;
  c.ffn = Ffn::dense;
  c.D = 16;
  run_case(c);
}

TEST_CASE("block: Llama4 style (chunked causal attention, chunks of 3 over T = 7; sigmoid top-1 with the gate on the expert input; shared expert)",
          "[compute][gradients]") {
  Case c;
  c.style = RopeStyle::interleaved;
  c.qk_norm = false;
  c.D = 16;
  c.T = 7;
  c.chunk = 3;
  c.softmax = false;
  c.route_norm = false;
  c.route_scale = 1.0;
  c.K = 1;
  c.score_before = true;
  run_case(c);
}

TEST_CASE("block: Llama4 NoPE layer (no rotation, full causal attention; score_before_experts with top-2)",
          "[compute][gradients]") {
  Case c;
  c.style = RopeStyle::interleaved;
  c.qk_norm = false;
  c.use_rope = false;
  c.T = 7;
  c.softmax = false;
  c.route_norm = false;
  c.route_scale = 1.0;
  c.score_before = true;
  run_case(c);
}

TEST_CASE("block: gpt-oss style (biased projections, sinks, sliding window 3 over T = 9, scale; biased router, softmax top-2 on scores + expert_bias, clamped SwiGLU experts with biases)",
          "[compute][gradients]") {
  Case c;
  c.qk_norm = false;
  c.proj_bias = true;
  c.sinks = true;
  c.window = 3;
  c.T = 9;
  c.scale = 0.6;
  c.ffn = Ffn::gpt_oss_moe;
  c.router_bias = true;
  c.shared = 0;
  c.D = 6;
  c.Fm = 3;
  HarnessOptions o;
  // mlp1 spans about +-20 at D = 6: the clamps at 7 cut (some elements get no gradient).
  o.ranges = {{"mlp1_weight", {-6.0f, 6.0f}}, {"mlp1_bias", {-2.0f, 2.0f}}, {"sinks", {-2.0f, 2.0f}}};
  run_case(c, o);
}

TEST_CASE("block: gpt-oss style with sinks and full causal attention, a sigmoid router without route_norm nor expert_bias",
          "[compute][gradients]") {
  Case c;
  c.qk_norm = false;
  c.proj_bias = true;
  c.sinks = true;
  c.ffn = Ffn::gpt_oss_moe;
  c.router_bias = true;
  c.softmax = false;
  c.route_norm = false;
  c.route_scale = 1.0;
  c.bias = false;
  c.shared = 0;
  HarnessOptions o;
  o.ranges = {{"sinks", {-2.0f, 2.0f}}};
  run_case(c, o);
}

TEST_CASE("block: DeepSeek-V3 MLA (q = wq x, v_head_dim != qk_nope_head_dim) with a dense SwiGLU", "[compute][gradients]") {
  Case c;
  c.attn = Attn::mla;
  c.style = RopeStyle::interleaved;
  c.ffn = Ffn::dense;
  c.Hq = 3;
  run_case(c);
}

TEST_CASE("block: DeepSeek-V3 MLA with the low-rank q (q_lora_rank 5), softmax node-limited MoE with shared experts",
          "[compute][gradients]") {
  Case c;
  c.attn = Attn::mla;
  c.style = RopeStyle::interleaved;
  c.q_lora = 5;
  c.Hq = 2;
  c.E = 8;
  c.groups = 4;
  c.limited = 2;
  c.K = 3;
  run_case(c);
}
