#!/usr/bin/env python3
"""Independent NumPy reference of the Llama4 forward, written from the spec
(model_families.md sections 3.2-3.5 and 4.2) and torchtitan's Llama4 forward
(last version d92336fee^: models/llama4/model.py, models/common/attention.py,
rope.py, moe.py, token_dispatcher.py), not from titan's code. Computed in
float64:
- RMSNorm (eps 1e-5) over D; GQA attention with scale hd^-0.5;
- complex RoPE on adjacent pairs (x[2j], x[2j+1]) with frequencies computed
  here: theta^(-2j/hd) and the llama scaling (factor, low, high, original
  context); titan's freqs_cis table is not read;
- iRoPE: layer i is NoPE (no rotation) iff i % every_n_layers_nope == 0;
  the RoPE layers use the causal AND fixed-block mask (s <= t and
  s // chunk == t // chunk, torchtitan's get_fixed_block_mask_mod), the NoPE
  layers the causal mask only (torchtitan's get_attention_masks "rope"/"nope");
- layers with a router are MoE: sigmoid scores, top-k of scores + expert_bias
  (the bias only chooses), gates = unbiased scores (no route_norm, route_scale
  1 by default), each chosen expert applied to gate * x (torchtitan's
  score_before_experts = True for Llama4: the dispatcher scales the routed
  input, combine only sums) from the 3-D w1 [E, Fm, D], w2 [E, D, Fm],
  w3 [E, Fm, D], plus the shared expert's SwiGLU on x; other layers a dense
  SwiGLU. Final norm, output head (untied).

usage: reference_llama4.py WEIGHTS.safetensors LOGITS.safetensors [--report R.json]
       [--chunk 256] [--nope-every 4] [--score-after] [--softmax] [--top-k 1]
       [--theta 5e5] [--scaling llama|none] [--scaling-factor 16] [--low 1] [--high 1]
       [--orig 8192] [--eps 1e-5] [--n-heads 16] [--tol 1e-4] [--loss-window 0.5]
--chunk 0 = causal attention on every layer. The sizes other than Hq (D, Hkv,
hd, L, E, Fm, V) are read from the weights' shapes.
Exit status 0 when the logits agree (max |d| <= tol * max |logit|), the
report's loss matches the reference loss, and |loss - ln V| < loss-window.
"""
import argparse
import math
import sys

import numpy as np
from reference_common import read_safetensors, rmsnorm, swiglu, Routing, compare

def rope_frequencies(hd, a):
    """theta^(-2j/hd), j < hd/2, then Llama's scaling by wavelength: long
    wavelengths (> orig/low) divided by the factor, short ones (< orig/high)
    kept, the band between interpolated with s = (orig/wavelen - low)/(high - low)."""
    f = a.theta ** (-np.arange(0, hd, 2, dtype=np.float64) / hd)
    if a.scaling == "none":
        return f
    wavelen = 2 * math.pi / f
    lo_wl, hi_wl = a.orig / a.low, a.orig / a.high
    out = np.where(wavelen > lo_wl, f / a.scaling_factor, f)
    medium = (wavelen >= hi_wl) & (wavelen <= lo_wl)
    if a.high != a.low:
        s = (a.orig / wavelen - a.low) / (a.high - a.low)
        out = np.where(medium, (1 - s) * f / a.scaling_factor + s * f, out)
    return out


def complex_rope(x, freqs):
    # x [T, H, hd]: (x[2j] + i x[2j+1]) * exp(i p f_j) at position p.
    T = x.shape[0]
    z = x[..., 0::2] + 1j * x[..., 1::2]
    z = z * np.exp(1j * np.arange(T, dtype=np.float64)[:, None, None] * freqs[None, None, :])
    out = np.empty_like(x)
    out[..., 0::2], out[..., 1::2] = z.real, z.imag
    return out


def moe(h, g, has, a, stats):
    gate = g("moe.router.gate.weight")
    w1, w2, w3 = g("moe.experts.w1"), g("moe.experts.w2"), g("moe.experts.w3")
    E = gate.shape[0]
    bias = g("moe.expert_bias") if has("moe.expert_bias") else np.zeros(E)
    logits = h @ gate.T                                   # [T, E]
    if a.softmax:
        s = np.exp(logits - logits.max(axis=1, keepdims=True))
        scores = s / s.sum(axis=1, keepdims=True)
    else:
        scores = 1 / (1 + np.exp(-logits))                # sigmoid, per expert
    out = np.zeros_like(h)
    K = a.top_k
    for t in range(h.shape[0]):
        biased = scores[t] + bias
        order = np.argsort(-biased, kind="stable")        # ties: lower expert id first
        chosen = order[:K]
        if K < E:
            stats.min_margin = min(stats.min_margin, biased[order[K - 1]] - biased[order[K]])
        stats.decisions += 1
        gates = scores[t, chosen] * a.route_scale         # the unbiased scores, no route_norm
        for e, gk in zip(chosen, gates):
            if a.score_after:
                out[t] += gk * swiglu(h[t:t + 1], w1[e], w2[e], w3[e])[0]
            else:                                         # score_before_experts
                out[t] += swiglu(gk * h[t:t + 1], w1[e], w2[e], w3[e])[0]
    if has("moe.shared_experts.w1.weight"):
        out += swiglu(h, g("moe.shared_experts.w1.weight"), g("moe.shared_experts.w2.weight"),
                      g("moe.shared_experts.w3.weight"))
    return out


def forward(W, tokens, a, stats):
    D = W["norm.weight"].shape[0]
    L = 1 + max(int(k.split(".")[1]) for k in W if k.startswith("layers."))
    Hq = a.n_heads
    hd = W["layers.0.attention.wq.weight"].shape[0] // Hq
    Hkv = W["layers.0.attention.wk.weight"].shape[0] // hd
    freqs = rope_frequencies(hd, a)
    emb = W["tok_embeddings.weight"].astype(np.float64)
    B, T = tokens.shape
    pos = np.arange(T)
    causal = pos[None, :] <= pos[:, None]                 # [t, s]: s <= t
    chunked = causal & ((pos[None, :] // a.chunk) == (pos[:, None] // a.chunk)) if a.chunk > 0 else causal
    nope = [a.nope_every > 0 and i % a.nope_every == 0 for i in range(L)]
    moe_layers = []
    logits = []
    for b in range(B):
        x = emb[tokens[b]]
        for i in range(L):
            g = lambda n: W["layers.%d.%s" % (i, n)].astype(np.float64)
            has = lambda n: ("layers.%d.%s" % (i, n)) in W
            h = rmsnorm(x, g("attention_norm.weight"), a.eps)
            q = (h @ g("attention.wq.weight").T).reshape(T, Hq, hd)
            k = (h @ g("attention.wk.weight").T).reshape(T, Hkv, hd)
            v = (h @ g("attention.wv.weight").T).reshape(T, Hkv, hd)
            if not nope[i]:
                q, k = complex_rope(q, freqs), complex_rope(k, freqs)
            mask = causal if nope[i] else chunked
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
            if has("moe.router.gate.weight"):
                if b == 0:
                    moe_layers.append(i)
                x = x + moe(h, g, has, a, stats)
            else:
                x = x + swiglu(h, g("feed_forward.w1.weight"), g("feed_forward.w2.weight"), g("feed_forward.w3.weight"))
        x = rmsnorm(x, W["norm.weight"].astype(np.float64), a.eps)
        logits.append(x @ W["output.weight"].astype(np.float64).T)
    dims = dict(D=D, L=L, hd=hd, Hq=Hq, Hkv=Hkv, moe=moe_layers, nope=[i for i in range(L) if nope[i]])
    return np.stack(logits), dims


def main():
    p = argparse.ArgumentParser()
    p.add_argument("weights")
    p.add_argument("logits")
    p.add_argument("--report")
    p.add_argument("--chunk", type=int, default=256)
    p.add_argument("--nope-every", type=int, default=4)
    p.add_argument("--score-after", action="store_true", help="gate the expert outputs instead of the inputs")
    p.add_argument("--softmax", action="store_true", help="softmax router scores instead of sigmoid")
    p.add_argument("--top-k", type=int, default=1)
    p.add_argument("--route-scale", type=float, default=1.0)
    p.add_argument("--n-heads", type=int, default=16)
    p.add_argument("--theta", type=float, default=5e5)
    p.add_argument("--scaling", default="llama")
    p.add_argument("--scaling-factor", type=float, default=16.0)
    p.add_argument("--low", type=float, default=1.0)
    p.add_argument("--high", type=float, default=1.0)
    p.add_argument("--orig", type=float, default=8192.0)
    p.add_argument("--eps", type=float, default=1e-5)
    p.add_argument("--tol", type=float, default=1e-4)
    p.add_argument("--loss-window", type=float, default=0.5)
    a = p.parse_args()
    W = read_safetensors(a.weights)
    dump = read_safetensors(a.logits)
    tokens, got = dump["tokens"], dump["logits"].astype(np.float64)
    stats = Routing()
    ref, dims = forward(W, tokens, a, stats)
    B, T, V = ref.shape
    print("model: D %(D)d, L %(L)d, Hq %(Hq)d, Hkv %(Hkv)d, hd %(hd)d" % dims +
          ", V %d; NoPE layers %s, MoE layers %s; chunk %d on RoPE layers (T = %d)"
          % (V, dims["nope"], dims["moe"], a.chunk, T))
    if stats.decisions:
        print("routing: %d token decisions, top-%d, smallest margin k-th vs (k+1)-th score %.3e"
              % (stats.decisions, a.top_k, stats.min_margin))
    ok = compare(ref, got, tokens, a)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
