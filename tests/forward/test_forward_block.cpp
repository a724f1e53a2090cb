// One transformer block of the forward pass (titan/forward/block.hpp) on
// synthetic weights against a scalar double-precision reference written
// here from the spec (model_families.md 3.2-3.5, 4.1, 4.3) and torchtitan's
// forward: Qwen3-style (q/k RMSNorm per head before RoPE, rotate-half RoPE,
// explicit head_dim with Hq*hd != D, routed MoE with softmax scores,
// expert_bias for selection only, route_norm, route_scale, shared experts),
// a sigmoid router without route_norm, and Llama3-style (interleaved RoPE,
// dense SwiGLU, GQA).
#include "titan/forward/block.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

using namespace titan;

namespace {

using Vec = std::vector<double>;

struct Tensor {  // host float values + a device copy
  std::vector<std::int64_t> shape;
  std::vector<float> host;
  Kokkos::View<float*, Layout, MemSpace> dev;
  double at(std::int64_t i) const { return host[static_cast<std::size_t>(i)]; }
};

Tensor make(std::vector<std::int64_t> shape, std::mt19937& rng, float lo, float hi) {
  Tensor t;
  t.shape = shape;
  std::int64_t n = 1;
  for (auto s : shape) n *= s;
  std::uniform_real_distribution<float> u(lo, hi);
  t.host.resize(static_cast<std::size_t>(n));
  for (auto& v : t.host) v = u(rng);
  t.dev = Kokkos::View<float*, Layout, MemSpace>("t", n);
  auto h = Kokkos::create_mirror_view(t.dev);
  for (std::int64_t i = 0; i < n; ++i) h(i) = t.host[static_cast<std::size_t>(i)];
  Kokkos::deep_copy(t.dev, h);
  return t;
}
FMat mat(Tensor const& t) { return FMat(t.dev.data(), t.shape[0], t.shape[1]); }
FVec vec(Tensor const& t) { return FVec(t.dev.data(), t.shape[0]); }
F3 ten3(Tensor const& t) { return F3(t.dev.data(), t.shape[0], t.shape[1], t.shape[2]); }

// y = W x for W [out, in] stored row-major at offset `off`.
Vec matvec(Tensor const& w, Vec const& x, std::int64_t out, std::int64_t off = 0) {
  std::int64_t const in = static_cast<std::int64_t>(x.size());
  Vec y(static_cast<std::size_t>(out), 0.0);
  for (std::int64_t o = 0; o < out; ++o)
    for (std::int64_t i = 0; i < in; ++i) y[o] += w.at(off + o * in + i) * x[i];
  return y;
}
Vec rmsnorm(Vec const& x, Tensor const& w, double eps, std::int64_t w_off = 0) {
  double ms = 0;
  for (double v : x) ms += v * v;
  ms /= static_cast<double>(x.size());
  Vec y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) y[i] = x[i] / std::sqrt(ms + eps) * w.at(w_off + static_cast<std::int64_t>(i));
  return y;
}
double silu(double v) { return v / (1.0 + std::exp(-v)); }
Vec swiglu_ref(Vec const& x, Tensor const& w1, Tensor const& w2, Tensor const& w3, std::int64_t F, std::int64_t D,
               std::int64_t off13 = 0, std::int64_t off2 = 0) {
  Vec a = matvec(w1, x, F, off13), b = matvec(w3, x, F, off13), h(static_cast<std::size_t>(F));
  for (std::int64_t j = 0; j < F; ++j) h[j] = silu(a[j]) * b[j];
  return matvec(w2, h, D, off2);
}

struct Case {
  RopeStyle style = RopeStyle::rotate_half;
  bool qk_norm = true;
  bool moe = true;
  ScoreFunc score = ScoreFunc::softmax;
  bool route_norm = true;
  double route_scale = 1.5;
  bool bias = true;
  std::int64_t shared = 4;
  std::int64_t groups = 0, limited = 0;  // node-limited routing (DeepSeek-V3)
  bool use_rope = true;          // false: a NoPE layer
  std::int64_t chunk = 0;        // > 0: causal within chunks (Llama4)
  bool score_before = false;     // the gate on the expert's input (Llama4)
  std::int64_t D = 12, Hq = 4, Hkv = 2, hd = 4, T = 5, B = 2, E = 5, K = 2, Fm = 6, F = 10;
};

void run_case(Case const& c) {
  std::mt19937 rng(1234);
  std::int64_t const D = c.D, Hq = c.Hq, Hkv = c.Hkv, hd = c.hd, T = c.T, N = c.B * T, E = c.E, K = c.K, Fm = c.Fm;
  double const eps = 1e-6, theta = 1e6;
  Tensor x = make({N, D}, rng, -1, 1);
  Tensor an = make({D}, rng, 0.5, 1.5), fn = make({D}, rng, 0.5, 1.5), qn = make({hd}, rng, 0.5, 1.5),
         kn = make({hd}, rng, 0.5, 1.5);
  Tensor wq = make({Hq * hd, D}, rng, -0.4f, 0.4f), wk = make({Hkv * hd, D}, rng, -0.4f, 0.4f),
         wv = make({Hkv * hd, D}, rng, -0.4f, 0.4f), wo = make({D, Hq * hd}, rng, -0.3f, 0.3f);
  Tensor w1 = make({c.F, D}, rng, -0.3f, 0.3f), w2 = make({D, c.F}, rng, -0.3f, 0.3f), w3 = make({c.F, D}, rng, -0.3f, 0.3f);
  Tensor gate = make({E, D}, rng, -0.5f, 0.5f), ew1 = make({E, Fm, D}, rng, -0.3f, 0.3f),
         ew2 = make({E, D, Fm}, rng, -0.3f, 0.3f), ew3 = make({E, Fm, D}, rng, -0.3f, 0.3f);
  Tensor bias = make({E}, rng, -0.2f, 0.2f);
  std::int64_t const S = std::max<std::int64_t>(c.shared, 1);
  Tensor sw1 = make({S, D}, rng, -0.3f, 0.3f), sw2 = make({D, S}, rng, -0.3f, 0.3f), sw3 = make({S, D}, rng, -0.3f, 0.3f);

  // ---- titan's block
  DecoderSpec spec;
  spec.dim = D;
  spec.n_heads = Hq;
  spec.n_kv_heads = Hkv;
  spec.head_dim = hd;
  spec.norm_eps = eps;
  spec.rope_style = c.style;
  spec.qk_norm = c.qk_norm;
  spec.qk_norm_eps = eps;
  LayerSpec layer;
  layer.ffn = c.moe ? FfnKind::moe : FfnKind::dense;
  layer.ffn_hidden = c.F;
  layer.moe.num_experts = E;
  layer.moe.top_k = K;
  layer.moe.hidden = Fm;
  layer.moe.score_func = c.score;
  layer.moe.route_norm = c.route_norm;
  layer.moe.route_scale = c.route_scale;
  layer.moe.shared_hidden = c.shared;
  layer.moe.n_groups = c.groups;
  layer.moe.n_limited_groups = c.limited;
  layer.use_rope = c.use_rope;
  layer.attn_chunk = c.chunk;
  layer.moe.score_before_experts = c.score_before;
  spec.layers = {layer};
  BlockWeights w;
  w.attention_norm = vec(an);
  w.ffn_norm = vec(fn);
  w.q_norm = vec(qn);
  w.k_norm = vec(kn);
  w.wq = mat(wq);
  w.wk = mat(wk);
  w.wv = mat(wv);
  w.wo = mat(wo);
  w.w1 = mat(w1);
  w.w2 = mat(w2);
  w.w3 = mat(w3);
  w.moe.gate = mat(gate);
  w.moe.w1 = ten3(ew1);
  w.moe.w2 = ten3(ew2);
  w.moe.w3 = ten3(ew3);
  if (c.bias) w.moe.expert_bias = vec(bias);
  if (c.shared > 0) {
    w.moe.sw1 = mat(sw1);
    w.moe.sw2 = mat(sw2);
    w.moe.sw3 = mat(sw3);
  }
  Kokkos::View<float***, Layout, MemSpace> freqs_storage("freqs", T, hd / 2, 2);
  FreqsView freqs = freqs_storage;
  auto fh = Kokkos::create_mirror_view(freqs);
  for (std::int64_t t = 0; t < T; ++t)
    for (std::int64_t j = 0; j < hd / 2; ++j) {
      double const ang = static_cast<double>(t) * std::pow(theta, -2.0 * j / hd);
      fh(t, j, 0) = static_cast<float>(std::cos(ang));
      fh(t, j, 1) = static_cast<float>(std::sin(ang));
    }
  Kokkos::deep_copy(freqs, fh);
  Activations act(spec, c.B, T);
  FlopCounter fc;
  block_forward(spec, spec.layers[0], w, freqs, act, mat(x), fc);
  auto got = Kokkos::create_mirror_view_and_copy(HostSpace(), x.dev);

  // ---- the scalar reference
  std::vector<Vec> q(N), k(N), v(N), h(N);
  for (std::int64_t n = 0; n < N; ++n) {
    Vec xin(x.host.begin() + n * D, x.host.begin() + (n + 1) * D);
    Vec xn = rmsnorm(xin, an, eps);
    q[n] = matvec(wq, xn, Hq * hd);
    k[n] = matvec(wk, xn, Hkv * hd);
    v[n] = matvec(wv, xn, Hkv * hd);
    std::int64_t const t = n % T;
    auto head_op = [&](Vec& z, std::int64_t heads, Tensor const& norm_w) {
      for (std::int64_t hh = 0; hh < heads; ++hh) {
        Vec part(z.begin() + hh * hd, z.begin() + (hh + 1) * hd);
        if (c.qk_norm) part = rmsnorm(part, norm_w, eps);  // before RoPE
        Vec r(part);
        if (!c.use_rope) {  // NoPE: no rotation
          std::copy(r.begin(), r.end(), z.begin() + hh * hd);
          continue;
        }
        for (std::int64_t j = 0; j < hd / 2; ++j) {
          double const ang = static_cast<double>(t) * std::pow(theta, -2.0 * j / hd);
          std::int64_t const a = c.style == RopeStyle::rotate_half ? j : 2 * j;
          std::int64_t const b = c.style == RopeStyle::rotate_half ? j + hd / 2 : 2 * j + 1;
          r[a] = part[a] * std::cos(ang) - part[b] * std::sin(ang);
          r[b] = part[b] * std::cos(ang) + part[a] * std::sin(ang);
        }
        std::copy(r.begin(), r.end(), z.begin() + hh * hd);
      }
    };
    head_op(q[n], Hq, qn);
    head_op(k[n], Hkv, kn);
  }
  double max_err = 0, max_ref = 0;
  std::int64_t group_changed = 0;  // decisions where the group limit changed the chosen set
  for (std::int64_t n = 0; n < N; ++n) {
    std::int64_t const b = n / T, t = n % T;
    Vec o(static_cast<std::size_t>(Hq * hd), 0.0);
    for (std::int64_t hh = 0; hh < Hq; ++hh) {
      std::int64_t const g = hh / (Hq / Hkv);
      Vec s;
      std::int64_t const u0 = c.chunk > 0 ? t / c.chunk * c.chunk : 0;  // the first position t sees
      for (std::int64_t u = u0; u <= t; ++u) {
        double dot = 0;
        for (std::int64_t e = 0; e < hd; ++e) dot += q[n][hh * hd + e] * k[b * T + u][g * hd + e];
        s.push_back(dot / std::sqrt(static_cast<double>(hd)));
      }
      double const mx = *std::max_element(s.begin(), s.end());
      double sum = 0;
      for (double& z : s) sum += (z = std::exp(z - mx));
      for (std::int64_t u = u0; u <= t; ++u)
        for (std::int64_t e = 0; e < hd; ++e) o[hh * hd + e] += s[u - u0] / sum * v[b * T + u][g * hd + e];
    }
    Vec hvec(x.host.begin() + n * D, x.host.begin() + (n + 1) * D);
    Vec const ao = matvec(wo, o, D);
    for (std::int64_t d = 0; d < D; ++d) hvec[d] += ao[d];
    Vec const hn = rmsnorm(hvec, fn, eps);
    Vec ffn(static_cast<std::size_t>(D), 0.0);
    if (!c.moe) {
      ffn = swiglu_ref(hn, w1, w2, w3, c.F, D);
    } else {
      Vec sc = matvec(gate, hn, E);
      if (c.score == ScoreFunc::softmax) {
        double const mx = *std::max_element(sc.begin(), sc.end());
        double sum = 0;
        for (double& z : sc) sum += (z = std::exp(z - mx));
        for (double& z : sc) z /= sum;
      } else {
        for (double& z : sc) z = 1.0 / (1.0 + std::exp(-z));
      }
      std::vector<std::int64_t> order(static_cast<std::size_t>(E));
      std::iota(order.begin(), order.end(), 0);
      auto biased = [&](std::int64_t e) { return sc[e] + (c.bias ? bias.at(e) : 0.0); };
      std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b2) { return biased(a) > biased(b2); });
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
        std::stable_sort(gorder.begin(), gorder.end(), [&](std::int64_t a, std::int64_t b2) { return gs[a] > gs[b2]; });
        std::vector<bool> keep(static_cast<std::size_t>(c.groups), false);
        for (std::int64_t l = 0; l < c.limited; ++l) keep[gorder[l]] = true;
        std::vector<std::int64_t> const free_order = order;
        std::stable_partition(order.begin(), order.end(), [&](std::int64_t e) { return keep[e / per]; });
        std::vector<std::int64_t> a(order.begin(), order.begin() + K), b2(free_order.begin(), free_order.begin() + K);
        std::sort(a.begin(), a.end());
        std::sort(b2.begin(), b2.end());
        group_changed += a != b2;
      }
      double denom = 0;
      for (std::int64_t kk = 0; kk < K; ++kk) denom += sc[order[kk]];
      for (std::int64_t kk = 0; kk < K; ++kk) {
        std::int64_t const e = order[kk];
        double gval = sc[e];  // the unbiased score
        if (c.route_norm) gval /= denom + 1e-20;
        gval *= c.route_scale;
        if (c.score_before) {  // expert(gate * x)
          Vec gx(hn);
          for (double& z : gx) z *= gval;
          Vec const y = swiglu_ref(gx, ew1, ew2, ew3, Fm, D, e * Fm * D, e * D * Fm);
          for (std::int64_t d = 0; d < D; ++d) ffn[d] += y[d];
          continue;
        }
        Vec const y = swiglu_ref(hn, ew1, ew2, ew3, Fm, D, e * Fm * D, e * D * Fm);
        for (std::int64_t d = 0; d < D; ++d) ffn[d] += gval * y[d];
      }
      if (c.shared > 0) {
        Vec const y = swiglu_ref(hn, sw1, sw2, sw3, c.shared, D);
        for (std::int64_t d = 0; d < D; ++d) ffn[d] += y[d];
      }
    }
    for (std::int64_t d = 0; d < D; ++d) {
      double const ref = hvec[d] + ffn[d];
      max_err = std::max(max_err, std::abs(ref - static_cast<double>(got(n * D + d))));
      max_ref = std::max(max_ref, std::abs(ref));
    }
  }
  INFO("max |titan - reference| = " << max_err << ", max |reference| = " << max_ref << ", group limit changed "
                                     << group_changed << " of " << N << " choices");
  CHECK(max_ref > 0.1);
  CHECK(max_err <= 1e-5 * max_ref);
  CHECK(fc.flops > 0);
  if (c.groups > 0) CHECK(group_changed > 0);  // else the case would not see the group limit
}

}  // namespace

TEST_CASE("forward block, Qwen3 style: qk-norm, rotate-half RoPE, hd*Hq != D, softmax MoE top-2 with bias, route_norm, route_scale, shared experts",
          "[forward]") {
  run_case(Case{});
}

TEST_CASE("forward block, MoE with a sigmoid router, no route_norm, no bias, no shared experts, top-3", "[forward]") {
  Case c;
  c.score = ScoreFunc::sigmoid;
  c.route_norm = false;
  c.route_scale = 1.0;
  c.bias = false;
  c.shared = 0;
  c.K = 3;
  run_case(c);
}

TEST_CASE("forward block, node-limited MoE (DeepSeek-V3): 8 experts in 4 groups, 2 kept, sigmoid, bias, route_norm, top-3",
          "[forward]") {
  Case c;
  c.score = ScoreFunc::sigmoid;
  c.E = 8;
  c.groups = 4;
  c.limited = 2;
  c.K = 3;
  c.route_scale = 2.5;
  run_case(c);
}

TEST_CASE("forward block, Llama3 style: interleaved RoPE, no qk-norm, dense SwiGLU, GQA", "[forward]") {
  Case c;
  c.style = RopeStyle::interleaved;
  c.qk_norm = false;
  c.moe = false;
  c.D = 16;
  run_case(c);
}

TEST_CASE("forward block, Llama4 style: chunked causal attention (chunks of 3 over T = 7), sigmoid top-1 with the gate on the expert input, shared expert",
          "[forward]") {
  Case c;
  c.style = RopeStyle::interleaved;
  c.qk_norm = false;
  c.D = 16;
  c.T = 7;
  c.chunk = 3;
  c.score = ScoreFunc::sigmoid;
  c.route_norm = false;
  c.route_scale = 1.0;
  c.K = 1;
  c.score_before = true;
  run_case(c);
}

TEST_CASE("forward block, Llama4 NoPE layer: no rotation, full causal attention, score_before_experts with top-2", "[forward]") {
  Case c;
  c.style = RopeStyle::interleaved;
  c.qk_norm = false;
  c.use_rope = false;
  c.T = 7;
  c.score = ScoreFunc::sigmoid;
  c.route_norm = false;
  c.score_before = true;
  run_case(c);
}
