#!/usr/bin/env python3
"""Independent NumPy reference of the Llama3 forward (torchtitan's maths),
written from the spec, not from titan's code: RMSNorm, RoPE as complex
multiplication of adjacent pairs with the frequencies computed here from the
formula of model_families.md section 3.4 (llama scaling), causal GQA
attention with scale hd^-0.5, SwiGLU, final norm, output head. Computed in
float64.

usage: reference_llama3.py WEIGHTS.safetensors LOGITS.safetensors [--report R.json]
       [--n-heads 16] [--n-kv-heads N (default: from wk)] [--eps 1e-5] [--theta 500000] [--scaling llama|none]
       [--scaling-factor 8] [--low 1] [--high 4] [--orig 8192] [--tol 1e-4] [--loss-window 0.5]
Exit status 0 when the logits agree (max |d| <= tol * max |logit|), the
report's loss matches the reference loss, and |loss - ln V| < loss-window.
"""
import argparse
import math
import sys

import numpy as np
from reference_common import read_safetensors, rmsnorm, compare

def rope_freqs(hd, theta, scaling, factor, low, high, orig):
    f = 1.0 / theta ** (np.arange(0, hd, 2, dtype=np.float64) / hd)
    if scaling == "llama":
        wavelen = 2 * math.pi / f
        low_wl, high_wl = orig / low, orig / high
        out = []
        for fj, wl in zip(f, wavelen):
            if wl > low_wl:
                out.append(fj / factor)
            elif wl < high_wl or high == low:
                out.append(fj)
            else:
                k = (orig / wl - low) / (high - low)
                out.append((1 - k) * fj / factor + k * fj)
        f = np.array(out)
    return f


def rope_pairs(x, freqs):
    # x [T, H, hd]; pairs (x[2j], x[2j+1]) multiplied by exp(i p f_j)
    T = x.shape[0]
    ang = np.arange(T)[:, None] * freqs[None, :]
    z = x[..., 0::2] + 1j * x[..., 1::2]
    z = z * np.exp(1j * ang)[:, None, :]
    out = np.empty_like(x)
    out[..., 0::2] = z.real
    out[..., 1::2] = z.imag
    return out


def forward(W, tokens, a):
    D = W["norm.weight"].shape[0]
    Hq = a.n_heads
    hd = D // Hq
    Hkv = a.n_kv_heads or W["layers.0.attention.wk.weight"].shape[0] // hd
    L = 1 + max(int(k.split(".")[1]) for k in W if k.startswith("layers."))
    emb = W.get("tok_embeddings.weight", W["output.weight"]).astype(np.float64)
    freqs = rope_freqs(hd, a.theta, a.scaling, a.scaling_factor, a.low, a.high, a.orig)
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
            q, k = rope_pairs(q, freqs), rope_pairs(k, freqs)
            rep = Hq // Hkv
            k = np.repeat(k, rep, axis=1)
            v = np.repeat(v, rep, axis=1)
            o = np.empty((T, Hq, hd))
            for hh in range(Hq):
                s = (q[:, hh, :] @ k[:, hh, :].T) / math.sqrt(hd)
                s = np.where(mask, s, -np.inf)
                s = np.exp(s - s.max(axis=1, keepdims=True))
                s /= s.sum(axis=1, keepdims=True)
                o[:, hh, :] = s @ v[:, hh, :]
            x = x + o.reshape(T, Hq * hd) @ g("attention.wo.weight").T
            h = rmsnorm(x, g("ffn_norm.weight"), a.eps)
            u = h @ g("feed_forward.w1.weight").T
            silu = u / (1 + np.exp(-u))
            x = x + (silu * (h @ g("feed_forward.w3.weight").T)) @ g("feed_forward.w2.weight").T
        x = rmsnorm(x, W["norm.weight"].astype(np.float64), a.eps)
        logits.append(x @ W["output.weight"].astype(np.float64).T)
    return np.stack(logits)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("weights")
    p.add_argument("logits")
    p.add_argument("--report")
    p.add_argument("--n-heads", type=int, default=16)
    p.add_argument("--n-kv-heads", type=int, default=0)
    p.add_argument("--eps", type=float, default=1e-5)
    p.add_argument("--theta", type=float, default=500000.0)
    p.add_argument("--scaling", default="llama")
    p.add_argument("--scaling-factor", type=float, default=8.0)
    p.add_argument("--low", type=float, default=1.0)
    p.add_argument("--high", type=float, default=4.0)
    p.add_argument("--orig", type=float, default=8192.0)
    p.add_argument("--tol", type=float, default=1e-4)
    p.add_argument("--loss-window", type=float, default=0.5)
    a = p.parse_args()
    W = read_safetensors(a.weights)
    dump = read_safetensors(a.logits)
    tokens, got = dump["tokens"], dump["logits"].astype(np.float64)
    ref = forward(W, tokens, a)
    B, T, V = ref.shape
    ok = compare(ref, got, tokens, a)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
