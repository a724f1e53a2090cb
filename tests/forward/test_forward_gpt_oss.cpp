// gpt-oss's forward kernels (titan/forward/sink_attention.hpp,
// gpt_oss_moe.hpp) on synthetic values against a scalar double reference
// written here from torchtitan's maths (models/gpt_oss/model.py, moe.py,
// common/attention.py, common/moe.py): attention sinks in the softmax
// denominator and a causal sliding window; a router gate with a bias, top-k
// on scores + expert_bias, route_norm, route_scale; experts mlp1 + bias with
// interleaved (gate, up) rows, the clamped SwiGLU (gate clamped from above
// only), mlp2 + bias. Values are large enough that the clamps cut and that
// expert_bias changes the choice.
#include "titan/forward/gpt_oss_moe.hpp"
#include "titan/forward/sink_attention.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

using namespace titan;

namespace {

struct Tensor {  // host float values + a device copy
  std::vector<float> host;
  Kokkos::View<float*, Layout, MemSpace> dev;
  double operator[](std::int64_t i) const { return host[static_cast<std::size_t>(i)]; }
};

Tensor make(std::int64_t n, std::mt19937& rng, float lo, float hi) {
  Tensor t;
  std::uniform_real_distribution<float> u(lo, hi);
  t.host.resize(static_cast<std::size_t>(n));
  for (auto& v : t.host) v = u(rng);
  t.dev = Kokkos::View<float*, Layout, MemSpace>("t", n);
  auto h = Kokkos::create_mirror_view(t.dev);
  for (std::int64_t i = 0; i < n; ++i) h(i) = t.host[static_cast<std::size_t>(i)];
  Kokkos::deep_copy(t.dev, h);
  return t;
}

std::vector<float> to_host(float const* p, std::int64_t n) {
  Kokkos::View<float*, Layout, MemSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> v(const_cast<float*>(p), n);
  auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), v);
  return std::vector<float>(h.data(), h.data() + n);
}

void attention_case(std::int64_t window, bool sinks_on) {
  std::int64_t const B = 2, Hq = 4, Hkv = 2, T = 9, hd = 4;
  float const scale = 0.6f;
  std::mt19937 rng(7);
  Tensor q = make(B * Hq * T * hd, rng, -2, 2), k = make(B * Hkv * T * hd, rng, -2, 2);
  Tensor v = make(B * Hkv * T * hd, rng, -1, 1), sinks = make(Hq, rng, -2, 2);
  Kokkos::View<float**, Layout, MemSpace> scores("s", T, T), out("o", B * T, Hq * hd);
  Kokkos::View<float****, Layout, MemSpace> heads("h", B, Hq, T, hd);
  FlopCounter fc;
  sink_attention(F4(q.dev.data(), B, Hq, T, hd), F4(k.dev.data(), B, Hkv, T, hd), F4(v.dev.data(), B, Hkv, T, hd),
                 scale, sinks_on ? FVec(sinks.dev.data(), Hq) : FVec(), window, FMat(scores.data(), T, T),
                 F4(heads.data(), B, Hq, T, hd), FMat(out.data(), B * T, Hq * hd), fc);
  auto const got = to_host(out.data(), B * T * Hq * hd);
  double max_err = 0, max_ref = 0;
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t h = 0; h < Hq; ++h)
      for (std::int64_t t = 0; t < T; ++t) {
        std::int64_t const g = h / (Hq / Hkv);
        std::vector<double> w(static_cast<std::size_t>(T), 0.0);
        double den = sinks_on ? std::exp(sinks[h]) : 0.0;  // the sink: in the denominator, no value
        for (std::int64_t s = 0; s <= t; ++s) {
          if (window > 0 && t - s >= window) continue;  // sees t-window+1 .. t
          double dot = 0;
          for (std::int64_t e = 0; e < hd; ++e) dot += q[((b * Hq + h) * T + t) * hd + e] * k[((b * Hkv + g) * T + s) * hd + e];
          den += (w[s] = std::exp(scale * dot));
        }
        for (std::int64_t e = 0; e < hd; ++e) {
          double ref = 0;
          for (std::int64_t s = 0; s < T; ++s) ref += w[s] / den * v[((b * Hkv + g) * T + s) * hd + e];
          max_err = std::max(max_err, std::abs(ref - got[static_cast<std::size_t>((b * T + t) * Hq * hd + h * hd + e)]));
          max_ref = std::max(max_ref, std::abs(ref));
        }
      }
  INFO("window " << window << ", sinks " << sinks_on << ": max |titan - reference| = " << max_err << ", max |reference| = " << max_ref);
  CHECK(max_ref > 0.1);
  CHECK(max_err <= 1e-5 * max_ref);
}

void moe_case(ScoreFunc score, bool route_norm, double route_scale, bool with_bias) {
  std::int64_t const N = 11, D = 6, E = 5, K = 2, Fm = 3;
  std::mt19937 rng(11);
  Tensor x = make(N * D, rng, -1, 1), gate = make(E * D, rng, -1, 1), gate_b = make(E, rng, -0.5f, 0.5f);
  Tensor ebias = make(E, rng, -0.3f, 0.3f);
  Tensor mlp1 = make(E * 2 * Fm * D, rng, -6, 6), b1 = make(E * 2 * Fm, rng, -2, 2);  // h spans about +-20
  Tensor mlp2 = make(E * D * Fm, rng, -1, 1), b2 = make(E * D, rng, -1, 1);
  MoESpec spec;
  spec.num_experts = E;
  spec.top_k = K;
  spec.hidden = Fm;
  spec.score_func = score;
  spec.route_norm = route_norm;
  spec.route_scale = route_scale;
  spec.experts = ExpertKind::gpt_oss;
  GptOssMoEWeights w;
  w.gate = FMat(gate.dev.data(), E, D);
  w.gate_bias = FVec(gate_b.dev.data(), E);
  if (with_bias) w.expert_bias = FVec(ebias.dev.data(), E);
  w.mlp1 = F3(mlp1.dev.data(), E, 2 * Fm, D);
  w.mlp1_bias = FMat(b1.dev.data(), E, 2 * Fm);
  w.mlp2 = F3(mlp2.dev.data(), E, D, Fm);
  w.mlp2_bias = FMat(b2.dev.data(), E, D);
  Kokkos::View<float**, Layout, MemSpace> out("out", N, D);
  FlopCounter fc;
  gpt_oss_moe_forward(FMat(x.dev.data(), N, D), w, spec, FMat(out.data(), N, D), fc);
  auto const got = to_host(out.data(), N * D);
  double max_err = 0, max_ref = 0;
  int clamped_gate = 0, clamped_up = 0, bias_changed_choice = 0;
  for (std::int64_t n = 0; n < N; ++n) {
    std::vector<double> sc(static_cast<std::size_t>(E));
    for (std::int64_t e = 0; e < E; ++e) {
      sc[e] = gate_b[e];
      for (std::int64_t d = 0; d < D; ++d) sc[e] += gate[e * D + d] * x[n * D + d];
    }
    if (score == ScoreFunc::softmax) {
      double const mx = *std::max_element(sc.begin(), sc.end());
      double sum = 0;
      for (double& z : sc) sum += (z = std::exp(z - mx));
      for (double& z : sc) z /= sum;
    } else {
      for (double& z : sc) z = 1.0 / (1.0 + std::exp(-z));
    }
    auto top = [&](bool biased) {
      std::vector<std::int64_t> order(static_cast<std::size_t>(E));
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t c) {
        return sc[a] + (biased ? ebias[a] : 0.0) > sc[c] + (biased ? ebias[c] : 0.0);
      });
      order.resize(static_cast<std::size_t>(K));
      std::sort(order.begin(), order.end());
      return order;
    };
    std::vector<std::int64_t> const chosen = top(with_bias);
    bias_changed_choice += chosen != top(false);
    double denom = 0;
    for (auto e : chosen) denom += sc[e];
    std::vector<double> ref(static_cast<std::size_t>(D), 0.0);
    for (auto e : chosen) {
      double gval = sc[e];  // the unbiased score
      if (route_norm) gval /= denom + 1e-20;
      gval *= route_scale;
      std::vector<double> a(static_cast<std::size_t>(Fm));
      for (std::int64_t f = 0; f < Fm; ++f) {
        double hg = b1[e * 2 * Fm + 2 * f], hu = b1[e * 2 * Fm + 2 * f + 1];  // rows 2f gate, 2f+1 up
        for (std::int64_t d = 0; d < D; ++d) {
          hg += mlp1[(e * 2 * Fm + 2 * f) * D + d] * x[n * D + d];
          hu += mlp1[(e * 2 * Fm + 2 * f + 1) * D + d] * x[n * D + d];
        }
        clamped_gate += hg > 7.0;
        clamped_up += std::abs(hu) > 7.0;
        hg = std::min(hg, 7.0);
        hu = std::max(-7.0, std::min(hu, 7.0));
        a[f] = hg / (1.0 + std::exp(-1.702 * hg)) * (hu + 1.0);
      }
      for (std::int64_t d = 0; d < D; ++d) {
        double y = b2[e * D + d];
        for (std::int64_t f = 0; f < Fm; ++f) y += mlp2[(e * D + d) * Fm + f] * a[f];
        ref[d] += gval * y;
      }
    }
    for (std::int64_t d = 0; d < D; ++d) {
      max_err = std::max(max_err, std::abs(ref[d] - got[static_cast<std::size_t>(n * D + d)]));
      max_ref = std::max(max_ref, std::abs(ref[d]));
    }
  }
  INFO("max |titan - reference| = " << max_err << ", max |reference| = " << max_ref << "; clamped gate "
                                    << clamped_gate << ", up " << clamped_up << ", tokens whose choice the bias changed "
                                    << bias_changed_choice);
  CHECK(max_ref > 0.1);
  CHECK(max_err <= 1e-5 * max_ref);
  CHECK(clamped_gate > 0);
  CHECK(clamped_up > 0);
  if (with_bias) CHECK(bias_changed_choice > 0);
  CHECK(fc.flops > 0);
}

}  // namespace

TEST_CASE("gpt-oss attention: sinks in the denominator, sliding window 3 (T = 9), GQA", "[forward]") {
  attention_case(3, true);
}

TEST_CASE("gpt-oss attention: sinks, full causal; neither (= plain causal)", "[forward]") {
  attention_case(0, true);
  attention_case(0, false);
  attention_case(4, false);
}

TEST_CASE("gpt-oss MoE: biased gate, softmax top-2 on scores + expert_bias, route_norm, route_scale 1.5, clamped SwiGLU",
          "[forward]") {
  moe_case(ScoreFunc::softmax, true, 1.5, true);
}

TEST_CASE("gpt-oss MoE: sigmoid router without route_norm and without expert_bias", "[forward]") {
  moe_case(ScoreFunc::sigmoid, false, 1.0, false);
}
