#!/usr/bin/env python3
"""Independent NumPy reference of the Qwen3 forward (dense and MoE), written
from the spec (model_families.md sections 3.3-3.5 and 4.3), not from titan's
code: RMSNorm (eps 1e-6), per-head q/k RMSNorm over hd applied before RoPE,
rotate-half RoPE on (x[j], x[j + hd/2]) with the frequencies computed here
as theta^(-2j/hd) (no scaling; titan's freqs_cis table is not read), causal
GQA attention with scale hd^-0.5, then per layer either a SwiGLU or a routed
MoE: softmax over the E router scores, top-k (on the scores plus expert_bias
when the weights file holds one; the gates are the unbiased scores),
route_norm (gates / their sum), route_scale, and the expert SwiGLUs taken
from the 3-D weights w1 [E, Fm, D], w2 [E, D, Fm], w3 [E, Fm, D]. Final
norm, output head (tied flavors: the embedding is output.weight). Computed
in float64.

usage: reference_qwen3.py WEIGHTS.safetensors LOGITS.safetensors [--report R.json]
       [--top-k 8] [--no-route-norm] [--route-scale 1] [--eps 1e-6] [--theta 1e6]
       [--tol 1e-4] [--loss-window 0.5]
The sizes (D, Hq, Hkv, hd, L, E, Fm, V) are read from the weights' shapes.
Exit status 0 when the logits agree (max |d| <= tol * max |logit|), the
report's loss matches the reference loss, and |loss - ln V| < loss-window.
"""
import argparse
import math
import sys

import numpy as np
from reference_common import read_safetensors, rmsnorm, swiglu, Routing, compare

def rotate_half_rope(x, theta):
    # x [T, H, hd]: out[j] = x[j] cos - x[j+hd/2] sin, out[j+hd/2] = x[j+hd/2] cos + x[j] sin,
    # angle p * theta^(-2j/hd) for position p and j < hd/2.
    T, _, hd = x.shape
    half = hd // 2
    freqs = theta ** (-2.0 * np.arange(half, dtype=np.float64) / hd)
    ang = np.arange(T, dtype=np.float64)[:, None] * freqs[None, :]
    cos, sin = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    a, b = x[..., :half], x[..., half:]
    return np.concatenate([a * cos - b * sin, b * cos + a * sin], axis=-1)


def moe(h, g, a, stats):
    gate = g("moe.router.gate.weight")
    w1, w2, w3 = g("moe.experts.w1"), g("moe.experts.w2"), g("moe.experts.w3")
    E = gate.shape[0]
    bias = g("moe.expert_bias") if a.has_bias else np.zeros(E)
    logits = h @ gate.T                                   # [T, E]
    s = np.exp(logits - logits.max(axis=1, keepdims=True))
    scores = s / s.sum(axis=1, keepdims=True)             # softmax over the experts
    out = np.zeros_like(h)
    K = a.top_k
    for t in range(h.shape[0]):
        biased = scores[t] + bias
        order = np.argsort(-biased, kind="stable")        # ties: lower expert id first
        chosen = order[:K]
        if K < E:
            stats.min_margin = min(stats.min_margin, biased[order[K - 1]] - biased[order[K]])
        stats.decisions += 1
        gates = scores[t, chosen]                         # the unbiased scores
        if a.route_norm:
            gates = gates / (gates.sum() + 1e-20)
        gates = gates * a.route_scale
        for e, gk in zip(chosen, gates):
            out[t] += gk * swiglu(h[t:t + 1], w1[e], w2[e], w3[e])[0]
    return out


def forward(W, tokens, a, stats):
    D = W["norm.weight"].shape[0]
    L = 1 + max(int(k.split(".")[1]) for k in W if k.startswith("layers."))
    hd = W["layers.0.attention.q_norm.weight"].shape[0]
    Hq = W["layers.0.attention.wq.weight"].shape[0] // hd
    Hkv = W["layers.0.attention.wk.weight"].shape[0] // hd
    emb = W.get("tok_embeddings.weight", W["output.weight"]).astype(np.float64)
    B, T = tokens.shape
    mask = np.tril(np.ones((T, T), dtype=bool))
    logits = []
    for b in range(B):
        x = emb[tokens[b]]
        for i in range(L):
            g = lambda n: W["layers.%d.%s" % (i, n)].astype(np.float64)
            h = rmsnorm(x, g("attention_norm.weight"), a.eps)
            q = (h @ g("attention.wq.weight").T).reshape(T, Hq, hd)
            k = (h @ g("attention.wk.weight").T).reshape(T, Hkv, hd)
            v = (h @ g("attention.wv.weight").T).reshape(T, Hkv, hd)
            q = rmsnorm(q, g("attention.q_norm.weight"), a.eps)  # per head, before RoPE
            k = rmsnorm(k, g("attention.k_norm.weight"), a.eps)
            q, k = rotate_half_rope(q, a.theta), rotate_half_rope(k, a.theta)
            rep = Hq // Hkv
            o = np.empty((T, Hq, hd))
            for hh in range(Hq):
                kv = hh // rep  # GQA
                s = (q[:, hh, :] @ k[:, kv, :].T) / math.sqrt(hd)
                s = np.where(mask, s, -np.inf)
                s = np.exp(s - s.max(axis=1, keepdims=True))
                s /= s.sum(axis=1, keepdims=True)
                o[:, hh, :] = s @ v[:, kv, :]
            x = x + o.reshape(T, Hq * hd) @ g("attention.wo.weight").T
            h = rmsnorm(x, g("ffn_norm.weight"), a.eps)
            if ("layers.%d.moe.router.gate.weight" % i) in W:
                x = x + moe(h, g, a, stats)
            else:
                x = x + swiglu(h, g("feed_forward.w1.weight"), g("feed_forward.w2.weight"), g("feed_forward.w3.weight"))
        x = rmsnorm(x, W["norm.weight"].astype(np.float64), a.eps)
        logits.append(x @ W["output.weight"].astype(np.float64).T)
    return np.stack(logits), dict(D=D, L=L, hd=hd, Hq=Hq, Hkv=Hkv)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("weights")
    p.add_argument("logits")
    p.add_argument("--report")
    p.add_argument("--top-k", type=int, default=8)
    p.add_argument("--no-route-norm", dest="route_norm", action="store_false")
    p.add_argument("--route-scale", type=float, default=1.0)
    p.add_argument("--eps", type=float, default=1e-6)
    p.add_argument("--theta", type=float, default=1e6)
    p.add_argument("--tol", type=float, default=1e-4)
    p.add_argument("--loss-window", type=float, default=0.5)
    a = p.parse_args()
    W = read_safetensors(a.weights)
    a.has_bias = "layers.0.moe.expert_bias" in W
    dump = read_safetensors(a.logits)
    tokens, got = dump["tokens"], dump["logits"].astype(np.float64)
    stats = Routing()
    ref, dims = forward(W, tokens, a, stats)
    B, T, V = ref.shape
    print("model: D %(D)d, L %(L)d, Hq %(Hq)d, Hkv %(Hkv)d, hd %(hd)d" % dims + ", V %d, tied %s" %
          (V, "tok_embeddings.weight" not in W))
    if stats.decisions:
        print("routing: %d token decisions, top-%d, smallest margin k-th vs (k+1)-th score %.3e%s"
              % (stats.decisions, a.top_k, stats.min_margin, ", expert_bias read" if a.has_bias else ""))
    ok = compare(ref, got, tokens, a)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
