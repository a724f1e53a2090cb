#!/usr/bin/env python3
"""Independent NumPy reference of the GPT-OSS forward, written from the spec
(model_families.md sections 3.3-3.5 and 4.5) and torchtitan's forward code
(models/gpt_oss/model.py and moe.py, models/common/rope.py, attention.py,
moe.py), not from titan's code. Computed in float64:

- RMSNorm eps 1e-5; untied embedding and output head.
- Attention: q = wq x + bq, k = wk x + bk, v = wv x + bv (titan keeps
  torchtitan's fused wqkv as the classic wq/wk/wv with their biases);
  rotate-half RoPE (CosSinRoPE: out = x cos + rotate_half(x) sin) with the
  YaRN frequencies computed here from the formula (titan's freqs_cis table is
  not read): f_j = theta^(-2j/hd), correction range
  c(b) = hd ln(orig / (2 pi b)) / (2 ln theta), low = c(beta_fast),
  high = c(beta_slow), no truncation, clamped to [0, hd-1],
  ramp_j = clip((j - low) / (high - low), 0, 1),
  f'_j = f_j / factor * ramp_j + f_j (1 - ramp_j); angle p f'_j.
  Scores q.k * hd^-0.5 * mscale^2, mscale = 0.1 ln(factor) + 1 (torchtitan
  folds the YaRN mscale into the softmax scale, not into the table); GQA;
  causal mask, on even layers also t - s < window (128); softmax whose
  denominator also holds exp(sink_h) (torchtitan: out * sigmoid(lse - sink));
  wo with bias.
- MoE in every layer: router logits = gate x + gate_bias, softmax over E,
  top-k (4) on scores + expert_bias (the buffer, when present), gates = the
  unbiased scores of the chosen experts / (their sum + 1e-20) (route_norm);
  each expert: h = mlp1 x + mlp1_bias [2 Fm], gate half = even rows, up half =
  odd rows (torchtitan's swiglu: x[..., ::2], x[..., 1::2]); gate clamped to
  <= limit, up to [-limit, limit]; a = gate sigmoid(alpha gate) (up + 1);
  y = mlp2 a + mlp2_bias; out = sum_k gate_k y_k.

usage: reference_gpt_oss.py WEIGHTS.safetensors LOGITS.safetensors [--report R.json]
       [--window 128] [--no-sinks] [--no-mscale] [--theta 150000] [--rope-factor 32]
       [--beta-fast 32] [--beta-slow 1] [--original-seq-len 4096] [--top-k 4]
       [--swiglu-limit 7] [--swiglu-alpha 1.702] [--gate-up-halves] [--symmetric-gate-clamp]
       [--no-linear-bias]
       [--tol 1e-4] [--loss-window 0.5]
Sizes (D, Hq, Hkv, hd, L, E, Fm, V) are read from the weights' shapes.
Exit status 0 when the logits agree (max |d| <= tol * max |logit|), the
report's loss matches the reference loss, and |loss - ln V| < loss-window.
The options that change the maths exist to show that the test fails when
one piece of the maths is wrong.
"""
import argparse
import math
import sys

import numpy as np
from reference_common import read_safetensors, rmsnorm, Routing, compare

def yarn_frequencies(hd, a):
    half = hd // 2
    f = a.theta ** (-2.0 * np.arange(half, dtype=np.float64) / hd)
    if a.rope_factor <= 1.0:
        return f

    def correction(rotations):
        return hd * math.log(a.original_seq_len / (rotations * 2 * math.pi)) / (2 * math.log(a.theta))

    low, high = max(correction(a.beta_fast), 0.0), min(correction(a.beta_slow), hd - 1.0)
    if low == high:
        high += 0.001
    ramp = np.clip((np.arange(half, dtype=np.float64) - low) / (high - low), 0.0, 1.0)
    return f / a.rope_factor * ramp + f * (1 - ramp)


def rotate_half_rope(x, freqs):
    # x [T, H, hd]; the pair (x[j], x[j + hd/2]) turns by the angle p f_j.
    T, _, hd = x.shape
    half = hd // 2
    ang = np.arange(T, dtype=np.float64)[:, None] * freqs[None, :]
    cos, sin = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    a, b = x[..., :half], x[..., half:]
    return np.concatenate([a * cos - b * sin, b * cos + a * sin], axis=-1)


def attention(h, g, i, a, freqs, dims):
    T = h.shape[0]
    Hq, Hkv, hd = dims["Hq"], dims["Hkv"], dims["hd"]
    bias = (lambda n: g(n)) if a.linear_bias else (lambda n: 0.0)
    q = (h @ g("attention.wq.weight").T + bias("attention.wq.bias")).reshape(T, Hq, hd)
    k = (h @ g("attention.wk.weight").T + bias("attention.wk.bias")).reshape(T, Hkv, hd)
    v = (h @ g("attention.wv.weight").T + bias("attention.wv.bias")).reshape(T, Hkv, hd)
    q, k = rotate_half_rope(q, freqs), rotate_half_rope(k, freqs)
    scale = hd ** -0.5
    if a.mscale and a.rope_factor > 1.0:
        m = 0.1 * math.log(a.rope_factor) + 1.0
        scale *= m * m
    t = np.arange(T)
    visible = t[None, :] <= t[:, None]                    # causal: s <= t
    if a.window > 0 and i % 2 == 0:                       # even layers: t - s < window
        visible &= (t[:, None] - t[None, :]) < a.window
    sinks = g("attention.sinks")
    rep = Hq // Hkv
    o = np.empty((T, Hq, hd))
    for hh in range(Hq):
        kv = hh // rep  # GQA
        s = (q[:, hh, :] @ k[:, kv, :].T) * scale
        s = np.where(visible, s, -np.inf)
        mx = s.max(axis=1, keepdims=True)
        if a.sinks:
            mx = np.maximum(mx, sinks[hh])
        e = np.exp(s - mx)
        den = e.sum(axis=1, keepdims=True) + (np.exp(sinks[hh] - mx) if a.sinks else 0.0)
        o[:, hh, :] = (e / den) @ v[:, kv, :]
    return o.reshape(T, Hq * hd) @ g("attention.wo.weight").T + bias("attention.wo.bias")


def expert(x, w1, b1, w2, b2, a):
    hh = x @ w1.T + b1                                    # [n, 2 Fm]
    if a.gate_up_halves:                                  # deliberately wrong layout (negative check)
        fm = hh.shape[1] // 2
        gate, up = hh[:, :fm], hh[:, fm:]
    else:
        gate, up = hh[:, 0::2], hh[:, 1::2]               # interleaved: even rows gate, odd rows up
    gate = np.minimum(gate, a.swiglu_limit)              # the gate half: clamped from above only
    if a.symmetric_gate_clamp:                            # deliberately wrong (negative check)
        gate = np.maximum(gate, -a.swiglu_limit)
    up = np.clip(up, -a.swiglu_limit, a.swiglu_limit)
    act = gate / (1 + np.exp(-a.swiglu_alpha * gate)) * (up + 1)
    return act @ w2.T + b2


def moe(h, g, a, stats, has_bias):
    gate_w = g("moe.router.gate.weight")
    gate_b = g("moe.router.gate.bias") if a.linear_bias else 0.0
    E = gate_w.shape[0]
    bias = g("moe.expert_bias") if has_bias else np.zeros(E)
    logits = h @ gate_w.T + gate_b                        # [T, E]
    s = np.exp(logits - logits.max(axis=1, keepdims=True))
    scores = s / s.sum(axis=1, keepdims=True)             # softmax over the experts
    biased = scores + bias
    order = np.argsort(-biased, axis=1, kind="stable")    # ties: lower expert id first
    K = a.top_k
    chosen = order[:, :K]
    if K < E:
        rows = np.arange(h.shape[0])
        stats.min_margin = min(stats.min_margin, float((biased[rows, order[:, K - 1]] - biased[rows, order[:, K]]).min()))
    stats.decisions += h.shape[0]
    gates = np.take_along_axis(scores, chosen, axis=1)    # the unbiased scores
    gates = gates / (gates.sum(axis=1, keepdims=True) + 1e-20)
    w1, b1 = g("moe.experts.mlp1_weight"), g("moe.experts.mlp1_bias")
    w2, b2 = g("moe.experts.mlp2_weight"), g("moe.experts.mlp2_bias")
    out = np.zeros_like(h)
    for e in range(E):
        tok, kk = np.nonzero(chosen == e)                 # each token picks an expert at most once
        if tok.size:
            out[tok] += gates[tok, kk][:, None] * expert(h[tok], w1[e], b1[e], w2[e], b2[e], a)
    return out


def forward(W, tokens, a, stats):
    D = W["norm.weight"].shape[0]
    L = 1 + max(int(k.split(".")[1]) for k in W if k.startswith("layers."))
    Hq = W["layers.0.attention.sinks"].shape[0]
    hd = W["layers.0.attention.wq.weight"].shape[0] // Hq
    Hkv = W["layers.0.attention.wk.weight"].shape[0] // hd
    E, two_fm, _ = W["layers.0.moe.experts.mlp1_weight"].shape
    dims = dict(D=D, L=L, hd=hd, Hq=Hq, Hkv=Hkv, E=E, Fm=two_fm // 2)
    has_bias = "layers.0.moe.expert_bias" in W
    freqs = yarn_frequencies(hd, a)
    emb = W["tok_embeddings.weight"].astype(np.float64)
    B, T = tokens.shape
    x = np.stack([emb[tokens[b]] for b in range(B)])      # [B, T, D]
    for i in range(L):
        cache = {}

        def g(n, i=i, cache=cache):
            if n not in cache:
                cache[n] = W["layers.%d.%s" % (i, n)].astype(np.float64)
            return cache[n]

        for b in range(B):
            x[b] = x[b] + attention(rmsnorm(x[b], g("attention_norm.weight"), a.eps), g, i, a, freqs, dims)
        h = rmsnorm(x.reshape(B * T, D), g("ffn_norm.weight"), a.eps)
        x = x + moe(h, g, a, stats, has_bias).reshape(B, T, D)
    x = rmsnorm(x, W["norm.weight"].astype(np.float64), a.eps)
    return x @ W["output.weight"].astype(np.float64).T, dims, has_bias


def main():
    p = argparse.ArgumentParser()
    p.add_argument("weights")
    p.add_argument("logits")
    p.add_argument("--report")
    p.add_argument("--window", type=int, default=128)
    p.add_argument("--no-sinks", dest="sinks", action="store_false")
    p.add_argument("--no-mscale", dest="mscale", action="store_false")
    p.add_argument("--theta", type=float, default=150000.0)
    p.add_argument("--rope-factor", type=float, default=32.0)
    p.add_argument("--beta-fast", type=float, default=32.0)
    p.add_argument("--beta-slow", type=float, default=1.0)
    p.add_argument("--original-seq-len", type=float, default=4096)
    p.add_argument("--top-k", type=int, default=4)
    p.add_argument("--swiglu-limit", type=float, default=7.0)
    p.add_argument("--swiglu-alpha", type=float, default=1.702)
    p.add_argument("--gate-up-halves", action="store_true")
    p.add_argument("--symmetric-gate-clamp", action="store_true")
    p.add_argument("--no-linear-bias", dest="linear_bias", action="store_false",
                   help="ignore the biases of wq/wk/wv/wo and of the router gate (negative check)")
    p.add_argument("--eps", type=float, default=1e-5)
    p.add_argument("--tol", type=float, default=1e-4)
    p.add_argument("--loss-window", type=float, default=0.5)
    a = p.parse_args()
    W = read_safetensors(a.weights)
    dump = read_safetensors(a.logits)
    tokens, got = dump["tokens"], dump["logits"].astype(np.float64)
    stats = Routing()
    ref, dims, has_bias = forward(W, tokens, a, stats)
    B, T, V = ref.shape
    print("model: D %(D)d, L %(L)d, Hq %(Hq)d, Hkv %(Hkv)d, hd %(hd)d, E %(E)d, Fm %(Fm)d" % dims +
          ", V %d; B %d, T %d (window %d on even layers%s)" %
          (V, B, T, a.window, "" if T > a.window else ": NOT exercised, T <= window"))
    print("routing: %d token decisions, top-%d, smallest margin k-th vs (k+1)-th score %.3e%s"
          % (stats.decisions, a.top_k, stats.min_margin, ", expert_bias read" if has_bias else ""))
    ok = compare(ref, got, tokens, a)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
