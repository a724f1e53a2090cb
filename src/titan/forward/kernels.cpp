#include "titan/forward/kernels.hpp"

#include "titan/core/bf16.hpp"
#include "titan/core/math_compat.hpp"
#include "titan/forward/moe_groups.hpp"
#include "titan/init/fingerprint.hpp"

#include <KokkosBlas3_gemm.hpp>

#include <vector>

namespace titan {

namespace {

using Team = Kokkos::TeamPolicy<ExecSpace>;
using Member = Team::member_type;
using Range = Kokkos::RangePolicy<ExecSpace>;

KOKKOS_INLINE_FUNCTION float fexp(float v) {
#if KOKKOS_VERSION >= 40000
  return Kokkos::exp(v);
#else
  return Kokkos::Experimental::exp(v);
#endif
}
KOKKOS_INLINE_FUNCTION double dexp(double v) {
#if KOKKOS_VERSION >= 40000
  return Kokkos::exp(v);
#else
  return Kokkos::Experimental::exp(v);
#endif
}

}  // namespace

void gemm(bool transpose_b, float alpha, FMat a, FMat b, float beta, FMat c, FlopCounter& fc) {
  std::int64_t const m = c.extent(0), n = c.extent(1), k = a.extent(1);
  if (m == 0 || n == 0) return;
  if (k == 0) {  // nothing to multiply: c = beta c
    Kokkos::parallel_for("forward:scale", Range(0, m * n), KOKKOS_LAMBDA(std::int64_t i) {
      c.data()[i] = beta == 0.0f ? 0.0f : beta * c.data()[i];
    });
    return;
  }
  KokkosBlas::gemm("N", transpose_b ? "T" : "N", alpha, a, b, beta, c);
  fc.flops += 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
}

void linear(FMat x, FMat w, FMat y, FlopCounter& fc) { gemm(true, 1.0f, x, w, 0.0f, y, fc); }

void rms_norm(FMat x, FVec w, double eps, FMat y) {
  std::int64_t const n_rows = x.extent(0), d = x.extent(1);
  if (n_rows == 0) return;
  float const e = static_cast<float>(eps);
  Kokkos::parallel_for("forward:rms_norm", Team(n_rows, Kokkos::AUTO), KOKKOS_LAMBDA(Member const& t) {
    std::int64_t const n = t.league_rank();
    float ss = 0;
    Kokkos::parallel_reduce(Kokkos::TeamThreadRange(t, d), [&](std::int64_t j, float& acc) { acc += x(n, j) * x(n, j); }, ss);
    float const r = 1.0f / math::sqrt(ss / static_cast<float>(d) + e);
    Kokkos::parallel_for(Kokkos::TeamThreadRange(t, d), [&](std::int64_t j) { y(n, j) = (x(n, j) * r) * w(j); });
  });
}

void head_rms_norm(FMat x, std::int64_t heads, std::int64_t hd, FVec w, double eps) {
  std::int64_t const rows = static_cast<std::int64_t>(x.extent(0)) * heads;
  if (rows == 0) return;
  float const e = static_cast<float>(eps);
  Kokkos::parallel_for("forward:qk_norm", Team(rows, Kokkos::AUTO), KOKKOS_LAMBDA(Member const& t) {
    std::int64_t const n = t.league_rank() / heads, c0 = (t.league_rank() % heads) * hd;
    float ss = 0;
    Kokkos::parallel_reduce(Kokkos::TeamThreadRange(t, hd), [&](std::int64_t j, float& acc) { acc += x(n, c0 + j) * x(n, c0 + j); }, ss);
    float const r = 1.0f / math::sqrt(ss / static_cast<float>(hd) + e);
    Kokkos::parallel_for(Kokkos::TeamThreadRange(t, hd), [&](std::int64_t j) { x(n, c0 + j) = (x(n, c0 + j) * r) * w(j); });
  });
}

void rope_to_heads(FMat x, std::int64_t heads, std::int64_t hd, std::int64_t T, FreqsView freqs, RopeStyle style,
                   bool apply, F4 out) {
  std::int64_t const n_rows = x.extent(0), half = hd / 2;
  if (n_rows == 0) return;
  bool const interleaved = style == RopeStyle::interleaved;
  Kokkos::parallel_for("forward:rope", Range(0, n_rows * heads * half), KOKKOS_LAMBDA(std::int64_t i) {
    std::int64_t const j = i % half, h = (i / half) % heads, n = i / (half * heads);
    std::int64_t const b = n / T, t = n % T;
    // The two features that rotate together and where they sit in the head.
    std::int64_t const i0 = interleaved ? 2 * j : j, i1 = interleaved ? 2 * j + 1 : j + half;
    float const x0 = x(n, h * hd + i0), x1 = x(n, h * hd + i1);
    if (apply) {
      float const c = freqs(t, j, 0), s = freqs(t, j, 1);
      out(b, h, t, i0) = x0 * c - x1 * s;
      out(b, h, t, i1) = x1 * c + x0 * s;
    } else {
      out(b, h, t, i0) = x0;
      out(b, h, t, i1) = x1;
    }
  });
}

void causal_attention(F4 q, F4 k, F4 v, float scale, FMat scores, F4 heads_out, FMat out, FlopCounter& fc) {
  std::int64_t const n_seq = q.extent(0), hq = q.extent(1), T = q.extent(2), hd = q.extent(3);
  std::int64_t const hkv = k.extent(1), group = hq / hkv, hv = v.extent(3);  // hv: MLA's v_head_dim may differ
  if (n_seq == 0) return;
  for (std::int64_t b = 0; b < n_seq; ++b) {
    for (std::int64_t h = 0; h < hq; ++h) {
      std::int64_t const g = h / group;  // GQA: query head h reads kv head h / (Hq/Hkv)
      FMat qh(q.data() + (b * hq + h) * T * hd, T, hd);
      FMat kh(k.data() + (b * hkv + g) * T * hd, T, hd);
      FMat vh(v.data() + (b * hkv + g) * T * hv, T, hv);
      FMat oh(heads_out.data() + (b * hq + h) * T * hv, T, hv);
      gemm(true, 1.0f, qh, kh, 0.0f, scores, fc);  // scores = q k^T
      // Causal softmax of scale * scores per row; masked entries become 0.
      Kokkos::parallel_for("forward:causal_softmax", Team(T, Kokkos::AUTO), KOKKOS_LAMBDA(Member const& t) {
        std::int64_t const i = t.league_rank();
        float mx = -3.4e38f;
        Kokkos::parallel_reduce(Kokkos::TeamThreadRange(t, i + 1), [&](std::int64_t j, float& m) {
          float const s = scores(i, j) * scale;
          m = s > m ? s : m;
        }, Kokkos::Max<float>(mx));
        float sum = 0;
        Kokkos::parallel_reduce(Kokkos::TeamThreadRange(t, i + 1), [&](std::int64_t j, float& acc) {
          acc += fexp(scores(i, j) * scale - mx);
        }, sum);
        Kokkos::parallel_for(Kokkos::TeamThreadRange(t, T), [&](std::int64_t j) {
          scores(i, j) = j <= i ? fexp(scores(i, j) * scale - mx) / sum : 0.0f;
        });
      });
      gemm(false, 1.0f, scores, vh, 0.0f, oh, fc);  // o = P v
    }
  }
  Kokkos::parallel_for("forward:heads_to_rows", Range(0, n_seq * T * hq * hv), KOKKOS_LAMBDA(std::int64_t i) {
    std::int64_t const e = i % hv, h = (i / hv) % hq, n = i / (hv * hq);
    out(n, h * hv + e) = heads_out(n / T, h, n % T, e);
  });
}

void silu_mul(FMat a, FMat b) {
  std::int64_t const cols = a.extent(1), total = static_cast<std::int64_t>(a.extent(0)) * cols;
  Kokkos::parallel_for("forward:silu_mul", Range(0, total), KOKKOS_LAMBDA(std::int64_t i) {
    std::int64_t const n = i / cols, j = i % cols;
    float const z = a(n, j);
    a(n, j) = z / (1.0f + fexp(-z)) * b(n, j);
  });
}

void add_into(FMat x, FMat y) {
  std::int64_t const cols = x.extent(1), total = static_cast<std::int64_t>(x.extent(0)) * cols;
  Kokkos::parallel_for("forward:residual", Range(0, total), KOKKOS_LAMBDA(std::int64_t i) {
    x(i / cols, i % cols) += y(i / cols, i % cols);
  });
}

void swiglu(FMat x, FMat w1, FMat w2, FMat w3, FMat h1, FMat h3, FMat out, FlopCounter& fc) {
  linear(x, w1, h1, fc);
  linear(x, w3, h3, fc);
  silu_mul(h1, h3);
  linear(h1, w2, out, fc);
}

void moe_forward(FMat x, MoEWeights const& w, MoESpec const& spec, FMat out, FlopCounter& fc) {
  std::int64_t const N = x.extent(0), D = x.extent(1), E = spec.num_experts, K = spec.top_k, Fm = spec.hidden;
  if (N == 0) return;
  // ---- Router (fp32): scores, top-k on scores + expert_bias, gates from the scores.
  Kokkos::View<float**, Layout, MemSpace> scores("moe:scores", N, E);
  linear(x, w.gate, scores, fc);
  Kokkos::View<std::int64_t**, Layout, MemSpace> chosen("moe:chosen", N, K);
  Kokkos::View<float**, Layout, MemSpace> gates("moe:gates", N, K);
  FVec const bias = w.expert_bias;
  bool const has_bias = bias.extent(0) > 0, softmax = spec.score_func == ScoreFunc::softmax, norm = spec.route_norm;
  float const route_scale = static_cast<float>(spec.route_scale);
  // Node-limited routing (DeepSeek-V3 236B/671B): which groups each token may use.
  std::int64_t const G = spec.n_groups, L = spec.n_limited_groups, per_group = G > 0 ? E / G : E;
  Kokkos::View<std::uint8_t**, Layout, MemSpace> keep("moe:groups_kept", G > 0 ? N : 0, G);
  // One work item per token: E and K are small (routing is not the cost).
  Kokkos::parallel_for("forward:moe_route", Range(0, N), KOKKOS_LAMBDA(std::int64_t n) {
    if (softmax) {
      float mx = -3.4e38f;
      for (std::int64_t e = 0; e < E; ++e) mx = scores(n, e) > mx ? scores(n, e) : mx;
      float sum = 0;
      for (std::int64_t e = 0; e < E; ++e) sum += fexp(scores(n, e) - mx);
      for (std::int64_t e = 0; e < E; ++e) scores(n, e) = fexp(scores(n, e) - mx) / sum;
    } else {
      for (std::int64_t e = 0; e < E; ++e) scores(n, e) = 1.0f / (1.0f + fexp(-scores(n, e)));
    }
    if (G > 0)
      choose_expert_groups([&](std::int64_t e) { return scores(n, e) + (has_bias ? bias(e) : 0.0f); }, E, G, L, n, keep);
    float total = 0;
    for (std::int64_t k = 0; k < K; ++k) {  // k-th largest biased score; ties: lower expert id
      std::int64_t best = -1;
      float best_v = 0;
      for (std::int64_t e = 0; e < E; ++e) {
        bool taken = false;
        for (std::int64_t kk = 0; kk < k; ++kk) taken = taken || chosen(n, kk) == e;
        if (taken || (G > 0 && !keep(n, e / per_group))) continue;
        float const v = scores(n, e) + (has_bias ? bias(e) : 0.0f);
        if (best < 0 || v > best_v) {
          best = e;
          best_v = v;
        }
      }
      chosen(n, k) = best;
      gates(n, k) = scores(n, best);
      total += scores(n, best);
    }
    for (std::int64_t k = 0; k < K; ++k) {
      float g = gates(n, k);
      if (norm) g = g / (total + 1e-20f);
      gates(n, k) = g * route_scale;
    }
  });
  // ---- Dispatch: group the N*K (token, expert) pairs by expert (host counting sort).
  auto chosen_h = Kokkos::create_mirror_view_and_copy(HostSpace(), chosen);
  std::vector<std::int64_t> offset(static_cast<std::size_t>(E + 1), 0);
  for (std::int64_t i = 0; i < N * K; ++i) ++offset[static_cast<std::size_t>(chosen_h.data()[i] + 1)];
  for (std::int64_t e = 0; e < E; ++e) offset[e + 1] += offset[e];
  Kokkos::View<std::int64_t*, Layout, MemSpace> slot_token("moe:slot_token", N * K);
  Kokkos::View<std::int64_t**, Layout, MemSpace> slot_of("moe:slot_of", N, K);
  {
    auto st = Kokkos::create_mirror_view(slot_token);
    auto so = Kokkos::create_mirror_view(slot_of);
    std::vector<std::int64_t> fill(offset.begin(), offset.end() - 1);
    for (std::int64_t n = 0; n < N; ++n)
      for (std::int64_t k = 0; k < K; ++k) {
        std::int64_t const s = fill[static_cast<std::size_t>(chosen_h(n, k))]++;
        st(s) = n;
        so(n, k) = s;
      }
    Kokkos::deep_copy(slot_token, st);
    Kokkos::deep_copy(slot_of, so);
  }
  Kokkos::View<float**, Layout, MemSpace> xs("moe:x_sorted", N * K, D), ys("moe:y_sorted", N * K, D);
  Kokkos::View<float**, Layout, MemSpace> h1("moe:h1", N * K, Fm), h3("moe:h3", N * K, Fm);
  Kokkos::parallel_for("forward:moe_dispatch", Range(0, N * K * D), KOKKOS_LAMBDA(std::int64_t i) {
    xs(i / D, i % D) = x(slot_token(i / D), i % D);
  });
  bool const before = spec.score_before_experts;
  if (before)  // torchtitan's score_before_experts (Llama4): the expert computes expert(gate * x)
    Kokkos::parallel_for("forward:moe_score_inputs", Range(0, N * K * D), KOKKOS_LAMBDA(std::int64_t i) {
      std::int64_t const n = i / (K * D), k = (i / D) % K;
      xs(slot_of(n, k), i % D) *= gates(n, k);
    });
  // ---- Experts: one SwiGLU per expert on its rows.
  for (std::int64_t e = 0; e < E; ++e) {
    std::int64_t const r0 = offset[e], rows = offset[e + 1] - offset[e];
    if (rows == 0) continue;
    FMat xe(xs.data() + r0 * D, rows, D), ye(ys.data() + r0 * D, rows, D);
    FMat h1e(h1.data() + r0 * Fm, rows, Fm), h3e(h3.data() + r0 * Fm, rows, Fm);
    FMat w1e(w.w1.data() + e * Fm * D, Fm, D), w3e(w.w3.data() + e * Fm * D, Fm, D), w2e(w.w2.data() + e * D * Fm, D, Fm);
    swiglu(xe, w1e, w2e, w3e, h1e, h3e, ye, fc);
  }
  // ---- Combine: out = sum_k gate_k * y_k, or sum_k y_k when the gate went in before (+ shared experts).
  Kokkos::parallel_for("forward:moe_combine", Range(0, N * D), KOKKOS_LAMBDA(std::int64_t i) {
    std::int64_t const n = i / D, d = i % D;
    float acc = 0;
    for (std::int64_t k = 0; k < K; ++k) acc += (before ? ys(slot_of(n, k), d) : gates(n, k) * ys(slot_of(n, k), d));
    out(n, d) = acc;
  });
  if (w.sw1.extent(0) > 0) {
    std::int64_t const fs = w.sw1.extent(0);
    Kokkos::View<float**, Layout, MemSpace> s1("moe:s1", N, fs), s3("moe:s3", N, fs), so("moe:shared_out", N, D);
    swiglu(x, w.sw1, w.sw2, w.sw3, s1, s3, so, fc);
    add_into(out, so);
  }
}

void embed_chunk(TokenView tokens, FMat w, std::int64_t v0, FMat x) {
  std::int64_t const n_rows = x.extent(0), D = x.extent(1), rows = w.extent(0);
  if (n_rows == 0) return;
  Kokkos::parallel_for("forward:embedding", Range(0, n_rows * D), KOKKOS_LAMBDA(std::int64_t i) {
    std::int64_t const n = i / D, d = i % D, r = tokens(n) - v0;
    if (r >= 0 && r < rows) x(n, d) = w(r, d);
  });
}

std::int64_t count_non_finite(FMat x) {
  std::int64_t const rows = x.extent(0), cols = x.extent(1);
  std::int64_t bad = 0;
  if (rows * cols == 0) return 0;
  Kokkos::parallel_reduce("forward:count_non_finite", Range(0, rows * cols), KOKKOS_LAMBDA(std::int64_t i, std::int64_t& n) {
    float const v = x(i / cols, i % cols);
    if (!(v - v == 0.0f)) ++n;  // NaN - NaN and Inf - Inf are NaN; finite v - v is 0
  }, bad);
  return bad;
}

void copy_columns(FMat src, FMat dst, std::int64_t v0) {
  std::int64_t const n_rows = src.extent(0), cols = src.extent(1);
  Kokkos::parallel_for("forward:logits_chunk", Range(0, n_rows * cols), KOKKOS_LAMBDA(std::int64_t i) {
    dst(i / cols, v0 + i % cols) = src(i / cols, i % cols);
  });
}

double cross_entropy_sum(FMat logits, TokenView tokens, std::int64_t T) {
  std::int64_t const n_rows = logits.extent(0), V = logits.extent(1);
  if (n_rows == 0) return 0.0;
  double total = 0;
  Kokkos::parallel_reduce("forward:cross_entropy", Team(n_rows, Kokkos::AUTO), KOKKOS_LAMBDA(Member const& t, double& acc) {
    std::int64_t const n = t.league_rank();
    if (n % T == T - 1) return;  // the last position predicts nothing
    float mx = -3.4e38f;
    Kokkos::parallel_reduce(Kokkos::TeamThreadRange(t, V), [&](std::int64_t v, float& m) {
      m = logits(n, v) > m ? logits(n, v) : m;
    }, Kokkos::Max<float>(mx));
    double sum = 0;
    Kokkos::parallel_reduce(Kokkos::TeamThreadRange(t, V), [&](std::int64_t v, double& s) {
      s += dexp(static_cast<double>(logits(n, v)) - mx);
    }, sum);
    Kokkos::single(Kokkos::PerTeam(t), [&]() {
      acc += static_cast<double>(mx) + math::log(sum) - static_cast<double>(logits(n, tokens(n + 1)));
    });
  }, total);
  return total;
}

std::uint64_t logits_fingerprint(FMat logits, std::uint64_t first_index) {
  std::int64_t const total = static_cast<std::int64_t>(logits.extent(0)) * logits.extent(1);
  float const* p = logits.data();
  std::uint64_t fp = 0;
  if (total == 0) return 0;
  Kokkos::parallel_reduce("forward:logits_fingerprint", Range(0, total), KOKKOS_LAMBDA(std::int64_t i, std::uint64_t& acc) {
    acc += element_hash(first_index + static_cast<std::uint64_t>(i), float_bits(p[i]));
  }, fp);
  return fp;
}

}  // namespace titan
