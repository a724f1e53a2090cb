#!/usr/bin/env python3
"""Independent float64 PyTorch reference of training the five decoder
families' models, to check titan_app --train (issue 16). Written from the
spec (../shared/spec/model_families.md), torchtitan's code and the NumPy
forward references tests/forward/reference_<family>.py (validated against
titan's forward to 1e-6), translated to torch; not from titan's C++.

The model (float64, autograd for the gradients):
- llama3: RMSNorm (eps 1e-5), complex RoPE on adjacent pairs (x[2j], x[2j+1])
  with Llama 3.1 frequency scaling, causal GQA attention scale hd^-0.5,
  SwiGLU; tied embedding when the weights hold no tok_embeddings.weight
  (one tensor output.weight used twice: autograd sums both uses).
- qwen3: RMSNorm (eps 1e-6), per-head q/k RMSNorm before RoPE, rotate-half
  RoPE (x[j], x[j + hd/2]), no scaling; dense SwiGLU or MoE: softmax scores,
  top-k on scores + expert_bias (choice only), gates = unbiased scores,
  route_norm, route_scale.
- llama4: NoPE layers (i % nope_every == 0) unrotated and fully causal; RoPE
  layers (complex pairs, llama scaling 16/1/1/8192) with the causal mask
  within chunks of `chunk` positions; MoE: sigmoid scores, top-1, the gate
  multiplies the expert's INPUT, plus a shared expert on the ungated input.
- deepseek_v3: MLA (low-rank q through wq_a, q_norm, wq_b when the weights
  hold wq_a; compressed kv through wkv_a, kv_norm, wkv_b; one k_pe per token
  shared by the heads), complex RoPE with YaRN frequencies (truncated
  correction range), softmax scale (nope+rope)^-0.5 * m^2,
  m = 0.1 mscale ln(rope_factor) + 1; dense layers first, then MoE with
  softmax/sigmoid scores, node-limited routing (a group's score = sum of its
  two best biased scores, `limited` groups kept), shared experts.
- gpt_oss: biased q/k/v/o, rotate-half RoPE with YaRN frequencies (no
  truncation), scale hd^-0.5 * (0.1 ln f + 1)^2, causal mask, on even
  layers also t - s < window, per-head sinks in the softmax denominator;
  MoE: router with bias, softmax, top-4, route_norm; experts with biases,
  mlp1 rows interleaved (even = gate, odd = up), gate clamped <= limit, up
  to [-limit, limit], act = gate sigmoid(alpha gate) (up + 1).
The MoE top-k choice is not differentiated (indices), the gates are; the
RoPE frequencies are computed here (titan's freqs_cis buffer is not read).

Loss: mean next-token cross-entropy over the B (T-1) predictions.
Training steps, as torchtitan's train_step: loss.backward(); the global
gradient norm and torch.nn.utils.clip_grad_norm_(max_norm); the MoE
load balancing of torchtitan's _update_expert_bias (an optimizer step
pre-hook: delta = coeff sign(mean(tpe) - tpe), delta -= mean(delta),
expert_bias += delta, tpe = the step's routed (token, slot) pairs);
torch.optim.AdamW; a LambdaLR with torchtitan's linear_warmup_stable_decay.
With --bf16: float32 masters (torch.optim.AdamW in float32 on them), the
forward on the masters rounded to bfloat16 (torch's conversion), the
gradient of the rounded weights applied to the masters.

Checks: titan's per-step loss, gradient norm (before clipping) and learning
rate (from its --report-json) against the reference's; with --grads, titan's
step-1 gradient of every parameter against autograd (max |d| <= grad-tol
max |g| per tensor) and, with --fd-samples N, five-point finite differences
of the reference's loss on N elements of every tensor against both autograd
(validating the reference) and titan; the MoE routing counts of the last
step; with --expect-*, that clipping, the expert-bias update or gpt-oss's
SwiGLU clamp were exercised at all.

usage: reference_train.py --family F WEIGHTS TOKENS --report R.json
       [--grads G.safetensors [--fd-samples N] [--grad-tol 1e-4]]
       [--lr --beta1 --beta2 --eps --weight-decay --max-norm --warmup-steps
        --decay --decay-ratio --min-lr-factor --total-steps]  (titan's [train] keys)
       [--load-balance-coeff C] [--loss-tol 1e-4] [--norm-tol 1e-4]
       [--expect-clip] [--expect-bias-moves] [--expect-clamp] [--bf16]
       [--break WHAT] [--negative WHAT] [model options: see --help]
WEIGHTS from titan_dump_weights (float32 parameters under their FQNs, the
buffers); TOKENS a safetensors file with I64 'tokens' [B, T] (every step) or
[S, B, T]; R.json titan's --report-json of the same run (its train.steps give
the number of steps); G titan's [train] dump_gradients of step 1.
Exit status 0 when every comparison holds, 3 when one does not (other
statuses: the script itself failed).
--break WHAT makes the reference deliberately wrong; --negative WHAT
(repeatable) runs the comparison again after the real one with each such
wrong reference, which must fail it (negative checks). WHAT: weight_decay
(0), clipping (none), expert_bias (not updated), sinks (off), lr_schedule
(no warmup/decay), route_norm (flipped), tie (the embedding use of a tied
weight gets no gradient), bf16_rounding (--bf16: the forward on the
unrounded float32 masters).
"""
import argparse
import contextlib
import io
import json
import math
import struct
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)

BREAKS = ["weight_decay", "clipping", "expert_bias", "sinks", "lr_schedule", "route_norm", "tie", "bf16_rounding"]
NP_DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        out[name] = np.frombuffer(data[b:end], dtype=NP_DTYPES[e["dtype"]]).reshape(e["shape"])
    return out


# ---------------------------------------------------------------- primitives

def rmsnorm(x, w, eps):
    return x * torch.rsqrt((x * x).mean(dim=-1, keepdim=True) + eps) * w


def swiglu(h, w1, w2, w3):
    return (torch.nn.functional.silu(h @ w1.T) * (h @ w3.T)) @ w2.T


def plain_frequencies(dim, theta):
    return theta ** (-2.0 * torch.arange(dim // 2, dtype=torch.float64) / dim)


def llama_frequencies(dim, theta, factor, low, high, orig):
    """Llama 3.1 scaling by wavelength: long wavelengths (> orig/low) divided
    by the factor, short ones (< orig/high) kept, the band in between
    blended with s = (orig/wavelen - low) / (high - low)."""
    f = plain_frequencies(dim, theta)
    wavelen = 2 * math.pi / f
    lo_wl, hi_wl = orig / low, orig / high
    out = torch.where(wavelen > lo_wl, f / factor, f)
    if high != low:
        s = (orig / wavelen - low) / (high - low)
        medium = (wavelen >= hi_wl) & (wavelen <= lo_wl)
        out = torch.where(medium, (1 - s) * f / factor + s * f, out)
    return out


def yarn_frequencies(dim, theta, factor, beta_fast, beta_slow, orig, truncate):
    """YaRN: f_j blended towards f_j / factor by a linear ramp between the
    correction dims c(b) = dim ln(orig / (2 pi b)) / (2 ln theta) of beta_fast
    and beta_slow (floor/ceil when truncated), clamped to [0, dim - 1]."""
    f = plain_frequencies(dim, theta)
    if factor <= 1.0:
        return f

    def corr(b):
        return dim * math.log(orig / (b * 2 * math.pi)) / (2 * math.log(theta))

    lo, hi = corr(beta_fast), corr(beta_slow)
    if truncate:
        lo, hi = math.floor(lo), math.ceil(hi)
    lo, hi = max(lo, 0), min(hi, dim - 1)
    if lo == hi:
        hi += 0.001
    ramp = ((torch.arange(dim // 2, dtype=torch.float64) - lo) / (hi - lo)).clamp(0.0, 1.0)
    return f / factor * ramp + f * (1 - ramp)


def rope_pairs(x, freqs):
    """x [B, T, H, d]: (x[2j] + i x[2j+1]) exp(i p f_j) at position p."""
    T = x.shape[1]
    ang = torch.arange(T, dtype=torch.float64)[:, None] * freqs[None, :]
    cos, sin = ang.cos()[None, :, None, :], ang.sin()[None, :, None, :]
    a, b = x[..., 0::2], x[..., 1::2]
    return torch.stack([a * cos - b * sin, a * sin + b * cos], dim=-1).flatten(-2)


def rope_half(x, freqs):
    """x [B, T, H, d]: the pair (x[j], x[j + d/2]) turns by p f_j."""
    T, half = x.shape[1], x.shape[-1] // 2
    ang = torch.arange(T, dtype=torch.float64)[:, None] * freqs[None, :]
    cos, sin = ang.cos()[None, :, None, :], ang.sin()[None, :, None, :]
    a, b = x[..., :half], x[..., half:]
    return torch.cat([a * cos - b * sin, b * cos + a * sin], dim=-1)


def attend(q, k, v, visible, scale, sinks=None):
    """q [B, T, Hq, d], k [B, T, Hkv, d], v [B, T, Hkv, dv]; query head h uses
    kv head h // (Hq / Hkv); visible [T, T] (t, s); sinks [Hq] add exp(sink)
    to each softmax denominator. Returns [B, T, Hq dv]."""
    B, T, Hq, _ = q.shape
    rep = Hq // k.shape[2]
    k, v = k.repeat_interleave(rep, dim=2), v.repeat_interleave(rep, dim=2)
    s = torch.einsum("bthd,bshd->bhts", q, k) * scale
    s = s.masked_fill(~visible, -math.inf)
    if sinks is not None:
        s = torch.cat([s, sinks.view(1, Hq, 1, 1).expand(B, Hq, T, 1)], dim=-1)
        p = torch.softmax(s, dim=-1)[..., :T]
    else:
        p = torch.softmax(s, dim=-1)
    return torch.einsum("bhts,bshd->bthd", p, v).reshape(B, T, -1)


def causal(T):
    t = torch.arange(T)
    return t[None, :] <= t[:, None]


# ---------------------------------------------------------------- the model

class Model:
    """A family's forward on a dict of float64 tensors `P` (parameters) and
    the expert biases `bias` (buffers, per MoE layer)."""

    def __init__(self, a, P, bias):
        self.a, self.P, self.bias = a, P, bias
        self.L = 1 + max(int(k.split(".")[1]) for k in P if k.startswith("layers."))
        self.D = P["norm.weight"].shape[0]
        self.moe_layers = [i for i in range(self.L) if "layers.%d.moe.router.gate.weight" % i in P]

    def g(self, i, n):
        return self.P["layers.%d.%s" % (i, n)]

    def has(self, i, n):
        return ("layers.%d.%s" % (i, n)) in self.P

    # ---- attention kinds
    def gqa(self, i, h):
        a, P = self.a, self.P
        B, T, _ = h.shape
        fam = a.family
        if fam == "qwen3":
            hd = self.g(i, "attention.q_norm.weight").shape[0]
            Hq = self.g(i, "attention.wq.weight").shape[0] // hd
        elif fam == "gpt_oss":
            Hq = self.g(i, "attention.sinks").shape[0]
            hd = self.g(i, "attention.wq.weight").shape[0] // Hq
        else:
            Hq = a.n_heads
            hd = self.g(i, "attention.wq.weight").shape[0] // Hq
        Hkv = self.g(i, "attention.wk.weight").shape[0] // hd

        def lin(n, x):
            y = x @ self.g(i, "attention.%s.weight" % n).T
            return y + self.g(i, "attention.%s.bias" % n) if fam == "gpt_oss" else y

        q, k, v = lin("wq", h).view(B, T, Hq, hd), lin("wk", h).view(B, T, Hkv, hd), lin("wv", h).view(B, T, Hkv, hd)
        visible = causal(T)
        scale = hd ** -0.5
        sinks = None
        if fam == "llama3":
            f = llama_frequencies(hd, a.theta, a.scaling_factor, a.low, a.high, a.orig)
            q, k = rope_pairs(q, f), rope_pairs(k, f)
        elif fam == "qwen3":
            q = rmsnorm(q, self.g(i, "attention.q_norm.weight"), a.norm_eps)  # per head, before RoPE
            k = rmsnorm(k, self.g(i, "attention.k_norm.weight"), a.norm_eps)
            f = plain_frequencies(hd, a.theta)
            q, k = rope_half(q, f), rope_half(k, f)
        elif fam == "llama4":
            nope = a.nope_every > 0 and i % a.nope_every == 0
            if not nope:
                f = llama_frequencies(hd, a.theta, a.scaling_factor, a.low, a.high, a.orig)
                q, k = rope_pairs(q, f), rope_pairs(k, f)
                if a.chunk > 0:
                    t = torch.arange(T)
                    visible = visible & ((t[None, :] // a.chunk) == (t[:, None] // a.chunk))
        elif fam == "gpt_oss":
            f = yarn_frequencies(hd, a.theta, a.rope_factor, a.beta_fast, a.beta_slow, a.orig, truncate=False)
            q, k = rope_half(q, f), rope_half(k, f)
            if a.rope_factor > 1.0:
                m = 0.1 * math.log(a.rope_factor) + 1.0
                scale *= m * m
            if a.window > 0 and i % 2 == 0:
                t = torch.arange(T)
                visible = visible & ((t[:, None] - t[None, :]) < a.window)
            if "sinks" not in a.broken:
                sinks = self.g(i, "attention.sinks")
        o = attend(q, k, v, visible, scale, sinks)
        return lin("wo", o)

    def mla(self, i, h):
        a = self.a
        B, T, _ = h.shape
        kv_lora = self.g(i, "attention.kv_norm.weight").shape[0]
        rope = self.g(i, "attention.wkv_a.weight").shape[0] - kv_lora
        q_lora = self.has(i, "attention.wq_a.weight")
        Hqk = self.g(i, "attention.wq_b.weight" if q_lora else "attention.wq.weight").shape[0]
        Hnv = self.g(i, "attention.wkv_b.weight").shape[0]
        Hv = self.g(i, "attention.wo.weight").shape[1]
        H = (Hqk - (Hnv - Hv)) // rope
        nope, vd = (Hnv - Hv) // H, Hv // H
        if q_lora:
            q = rmsnorm(h @ self.g(i, "attention.wq_a.weight").T, self.g(i, "attention.q_norm.weight"), a.norm_eps)
            q = q @ self.g(i, "attention.wq_b.weight").T
        else:
            q = h @ self.g(i, "attention.wq.weight").T
        q = q.view(B, T, H, nope + rope)
        kv = h @ self.g(i, "attention.wkv_a.weight").T
        c_kv, k_pe = kv[..., :kv_lora], kv[..., kv_lora:]
        kvb = rmsnorm(c_kv, self.g(i, "attention.kv_norm.weight"), a.norm_eps) @ self.g(i, "attention.wkv_b.weight").T
        kvb = kvb.view(B, T, H, nope + vd)
        k_nope, v = kvb[..., :nope], kvb[..., nope:]
        f = yarn_frequencies(rope, a.theta, a.rope_factor, a.beta_fast, a.beta_slow, a.orig, truncate=True)
        q_pe = rope_pairs(q[..., nope:], f)
        k_pe = rope_pairs(k_pe[:, :, None, :], f).expand(B, T, H, rope)   # one k_pe per token, every head
        scale = (nope + rope) ** -0.5
        if a.rope_factor > 1.0:
            m = 0.1 * a.mscale * math.log(a.rope_factor) + 1.0
            scale *= m * m
        o = attend(torch.cat([q[..., :nope], q_pe], -1), torch.cat([k_nope, k_pe], -1), v, causal(T), scale)
        return o @ self.g(i, "attention.wo.weight").T

    # ---- MoE
    def route(self, i, scores):
        """The chosen experts [N, K] (no gradient) from scores + expert_bias,
        node-limited when groups are set; records the smallest margin between
        the K-th and (K+1)-th allowed biased score."""
        a = self.a
        N, E = scores.shape
        K = a.top_k
        biased = scores.detach() + self.bias[i]
        allowed = biased
        if a.groups:
            per = E // a.groups
            gscore = biased.view(N, a.groups, per).topk(2, dim=-1).values.sum(-1)   # the two best of each group
            keep = gscore.topk(a.limited, dim=-1).indices
            drop = torch.ones(N, a.groups, dtype=torch.bool)
            drop.scatter_(1, keep, False)
            allowed = biased.masked_fill(drop.repeat_interleave(per, dim=1), -math.inf)
            free = biased.topk(K, dim=-1).indices.sort(dim=-1).values
            limited = allowed.topk(K, dim=-1).indices.sort(dim=-1).values
            self.group_changed += int((free != limited).any(dim=-1).sum())
            if a.limited < a.groups:
                gs = gscore.sort(dim=-1, descending=True).values
                self.min_margin = min(self.min_margin, float((gs[:, a.limited - 1] - gs[:, a.limited]).min()))
        top = allowed.topk(min(K + 1, E), dim=-1)
        if K < E:
            m = top.values[:, K - 1] - top.values[:, K]
            m = m[torch.isfinite(m)]
            if m.numel():
                self.min_margin = min(self.min_margin, float(m.min()))
        return top.indices[:, :K]

    def moe(self, i, h):
        a = self.a
        B, T, D = h.shape
        x = h.reshape(B * T, D)
        logits = x @ self.g(i, "moe.router.gate.weight").T
        if self.has(i, "moe.router.gate.bias"):
            logits = logits + self.g(i, "moe.router.gate.bias")
        scores = torch.softmax(logits, dim=-1) if a.score_func == "softmax" else torch.sigmoid(logits)
        chosen = self.route(i, scores)
        self.choices.append(chosen)
        E = scores.shape[1]
        self.counts[i] = torch.bincount(chosen.flatten(), minlength=E).to(torch.float64)
        gates = scores.gather(1, chosen)              # the unbiased scores, differentiated
        route_norm = a.route_norm != ("route_norm" in a.broken)
        if route_norm:
            gates = gates / (gates.sum(dim=-1, keepdim=True) + 1e-20)
        gates = gates * a.route_scale
        out = torch.zeros_like(x)
        for e in range(E):
            tok, slot = (chosen == e).nonzero(as_tuple=True)
            if tok.numel() == 0:
                continue
            gk = gates[tok, slot][:, None]
            if a.family == "gpt_oss":
                y = gk * self.gpt_oss_expert(i, e, x[tok])
            else:
                w1, w2, w3 = (self.g(i, "moe.experts.%s" % n)[e] for n in ("w1", "w2", "w3"))
                if a.family == "llama4":              # score_before_experts: the gate scales the input
                    y = swiglu(gk * x[tok], w1, w2, w3)
                else:
                    y = gk * swiglu(x[tok], w1, w2, w3)
            out = out.index_add(0, tok, y)
        if self.has(i, "moe.shared_experts.w1.weight"):
            out = out + swiglu(x, *(self.g(i, "moe.shared_experts.%s.weight" % n) for n in ("w1", "w2", "w3")))
        return out.view(B, T, D)

    def gpt_oss_expert(self, i, e, x):
        a = self.a
        hh = x @ self.g(i, "moe.experts.mlp1_weight")[e].T + self.g(i, "moe.experts.mlp1_bias")[e]
        gate, up = hh[:, 0::2], hh[:, 1::2]           # interleaved rows: even = gate, odd = up
        cut = torch.cat([gate > a.swiglu_limit, up.abs() > a.swiglu_limit], dim=1)
        self.clamped += int(cut.sum())
        self.choices.append(cut)                      # a clamp's kink, like a routing choice, breaks differences
        gate = gate.clamp(max=a.swiglu_limit)
        up = up.clamp(-a.swiglu_limit, a.swiglu_limit)
        act = gate * torch.sigmoid(a.swiglu_alpha * gate) * (up + 1)
        return act @ self.g(i, "moe.experts.mlp2_weight")[e].T + self.g(i, "moe.experts.mlp2_bias")[e]

    # ---- the decoder
    def loss(self, tokens):
        """Mean next-token cross-entropy of tokens [B, T]; fills self.counts
        (per MoE layer: routed (token, slot) pairs per expert) and self.choices
        (the discrete choices: top-k indices, clamp patterns)."""
        a, P = self.a, self.P
        self.counts, self.choices, self.min_margin = {}, [], math.inf
        self.group_changed = self.clamped = 0
        if "tok_embeddings.weight" in P:
            emb = P["tok_embeddings.weight"]
        else:
            emb = P["output.weight"]
            if "tie" in a.broken:
                emb = emb.detach()                    # wrong: the embedding use gets no gradient
        x = emb[tokens]
        for i in range(self.L):
            h = rmsnorm(x, self.g(i, "attention_norm.weight"), a.norm_eps)
            x = x + (self.mla(i, h) if a.family == "deepseek_v3" else self.gqa(i, h))
            h = rmsnorm(x, self.g(i, "ffn_norm.weight"), a.norm_eps)
            if i in self.moe_layers:
                x = x + self.moe(i, h)
            else:
                x = x + swiglu(h, *(self.g(i, "feed_forward.%s.weight" % n) for n in ("w1", "w2", "w3")))
        logits = rmsnorm(x, P["norm.weight"], a.norm_eps) @ P["output.weight"].T
        V = logits.shape[-1]
        return torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, V), tokens[:, 1:].reshape(-1))


# ---------------------------------------------------------------- training

def wsd_factor(current, warmup, stable, decay, kind, min_factor):
    """torchtitan's linear_warmup_stable_decay (0-indexed current step)."""
    if current < warmup:
        return (current + 1) / warmup
    if current < warmup + stable:
        return 1.0
    progress = (current + 1 - (warmup + stable)) / decay
    if kind == "linear":
        f = 1 - progress
    elif kind == "sqrt":
        f = 1 - math.sqrt(progress)
    elif kind == "cosine":
        f = 0.5 * (1.0 + math.cos(math.pi * progress))
    else:
        raise ValueError(kind)
    return min_factor + (1 - min_factor) * f


def make_lambda(a, steps):
    """torchtitan's LRSchedulersContainer.Config.build: warmup clamped to the
    total steps, decay steps round(total decay_ratio) clamped, a virtual last
    stable step."""
    total = a.total_steps or steps
    warmup = min(a.warmup_steps, total)
    if a.decay == "none":
        kind, decay = "linear", 0
    elif a.decay_ratio is not None:
        kind, decay = a.decay, min(round(total * a.decay_ratio), total - warmup)
    else:
        kind, decay = a.decay, total - warmup
    stable = total + 1 - warmup - decay
    if "lr_schedule" in a.broken:
        return lambda current: 1.0
    return lambda current: wsd_factor(current, warmup, stable, decay, kind, a.min_lr_factor)


def to_bf16(t):
    return t.to(torch.float32).to(torch.bfloat16).to(torch.float64)


class Trainer:
    def __init__(self, a, W):
        self.a = a
        buffers = ("freqs_cis", "expert_bias", "tokens_per_expert")
        names = [k for k in W if not k.split(".")[-1] in buffers]
        master_dtype = torch.float32 if a.bf16 else torch.float64
        self.masters = {k: torch.tensor(np.asarray(W[k]), dtype=master_dtype).requires_grad_(not a.bf16) for k in names}
        self.bias = {}
        L = 1 + max(int(k.split(".")[1]) for k in W if k.startswith("layers."))
        for i in range(L):
            if "layers.%d.moe.router.gate.weight" % i in W:
                key = "layers.%d.moe.expert_bias" % i
                E = W["layers.%d.moe.router.gate.weight" % i].shape[0]
                self.bias[i] = torch.tensor(np.asarray(W[key]), dtype=torch.float64) if key in W else torch.zeros(E)
        self.has_bias_buffer = any(k.endswith("moe.expert_bias") for k in W)
        self.opt = torch.optim.AdamW(list(self.masters.values()), lr=a.lr, betas=(a.beta1, a.beta2), eps=a.eps,
                                     weight_decay=0.0 if "weight_decay" in a.broken else a.weight_decay)

    def params(self):
        """The tensors the forward uses: the masters, or (bf16) leaves holding
        the masters rounded to bfloat16."""
        if not self.a.bf16:
            return self.masters
        if "bf16_rounding" in self.a.broken:          # wrong: the forward on the unrounded masters
            return {k: m.detach().double().requires_grad_() for k, m in self.masters.items()}
        return {k: to_bf16(m.detach()).requires_grad_() for k, m in self.masters.items()}

    def model(self, P):
        return Model(self.a, P, self.bias)

    def update_expert_bias(self, counts):
        """torchtitan's _update_expert_bias (before the optimizer step)."""
        if "expert_bias" in self.a.broken or not self.has_bias_buffer or self.a.load_balance_coeff is None:
            return
        for i, tpe in counts.items():
            delta = self.a.load_balance_coeff * torch.sign(tpe.mean() - tpe)
            delta = delta - delta.mean()
            self.bias[i] = self.bias[i] + delta


def grad_norm_and_clip(tensors, max_norm):
    """torch.nn.utils.clip_grad_norm_ (norm before clipping); 0 = no clipping."""
    if max_norm > 0:
        norm = float(torch.nn.utils.clip_grad_norm_(tensors, max_norm))
        return norm, min(1.0, max_norm / (norm + 1e-6))
    norm = float(torch.sqrt(sum((t.grad.double() ** 2).sum() for t in tensors)))
    return norm, 1.0


# ---------------------------------------------------------------- checks

def compare_gradients(P, grads_file, tol):
    """Titan's step-1 gradients (float32, per FQN) against autograd's."""
    G = read_safetensors(grads_file)
    ok = True
    if set(G) != set(P):
        print("FAIL: gradient names differ: only titan %s, only reference %s"
              % (sorted(set(G) - set(P)), sorted(set(P) - set(G))))
        return False, 0.0
    worst = 0.0
    print("gradients, titan (float32) vs torch autograd (float64): max |d| / max |g| per tensor (limit %.0e)" % tol)
    for name in P:
        ref = P[name].grad.detach().numpy()
        got = G[name].astype(np.float64)
        if got.shape != ref.shape:
            print("  %-44s FAIL shape %s vs %s" % (name, got.shape, ref.shape))
            ok = False
            continue
        scale = np.abs(ref).max()
        d = np.abs(got - ref).max()
        rel = d / scale if scale > 0 else (0.0 if d == 0 else math.inf)
        worst = max(worst, rel)
        good = rel <= tol
        ok &= good
        print("  %-44s %-16s max|g| %.3e  max|d| %.3e  ratio %.2e %s"
              % (name, "x".join(map(str, ref.shape)), scale, d, rel, "ok" if good else "FAIL"))
    print("gradients: worst ratio %.3e over %d tensors %s" % (worst, len(P), "ok" if ok else "FAIL"))
    return ok, worst


def finite_differences(trainer, P, tokens, samples, titan_grads, tol_fd, tol_titan, h):
    """Finite differences of the reference's float64 loss, the five-point
    stencil (8 (L(p+h) - L(p-h)) - (L(p+2h) - L(p-2h))) / 12h, on `samples`
    elements of every tensor (its largest-gradient element, then random
    ones), against autograd (this validates the reference) and against
    titan's gradients. A sample whose perturbation changes a discrete choice
    (an MoE top-k choice, which of gpt-oss's SwiGLU values are clamped) is
    replaced by another: the loss has a step or a kink there."""
    G = read_safetensors(titan_grads) if titan_grads else None
    rng = np.random.RandomState(1234)
    ok = True
    worst_ref, worst_titan, skipped, n = 0.0, 0.0, 0, 0
    with torch.no_grad():
        m0 = trainer.model(P)
        L0 = float(m0.loss(tokens))
        base_choice = [c.clone() for c in m0.choices]
        # The loss's own rounding error (measured ~1 eps |L|) divided by h:
        # the absolute accuracy of the differences, which matters for tensors
        # whose whole gradient is tiny (~1e-6).
        atol = 50 * np.finfo(np.float64).eps * abs(L0) / h
        for name, p in P.items():
            flat = p.view(-1)
            gref = p.grad.view(-1)
            scale = float(gref.abs().max())
            # the largest-gradient element, then random ones
            candidates = [int(gref.abs().argmax())] + [int(j) for j in rng.randint(flat.numel(), size=20 + samples)]
            errs_ref, errs_titan = [], []
            for idx in candidates:
                if len(errs_ref) == samples:
                    break
                orig = float(flat[idx])
                vals, same = {}, True
                for k in (2, 1, -1, -2):
                    flat[idx] = orig + k * h
                    m = trainer.model(P)
                    vals[k] = float(m.loss(tokens))
                    same &= all(torch.equal(c, b) for c, b in zip(m.choices, base_choice))
                flat[idx] = orig
                if not same:
                    skipped += 1
                    continue
                # the five-point stencil: error O(h^4) (truncation) + O(eps |L| / h) (rounding)
                fd = (8 * (vals[1] - vals[-1]) - (vals[2] - vals[-2])) / (12 * h)
                errs_ref.append(abs(fd - float(gref[idx])))
                if G is not None:
                    errs_titan.append(abs(fd - float(G[name].reshape(-1)[idx])))
                n += 1
            er = max(errs_ref) if len(errs_ref) == samples else math.inf
            et = max(errs_titan) if errs_titan else 0.0
            good = er <= tol_fd * scale + atol and et <= tol_titan * scale + atol
            ok &= good
            rel = (lambda e: e / scale if scale > 0 else (0.0 if e == 0 else math.inf))
            worst_ref, worst_titan = max(worst_ref, rel(er)), max(worst_titan, rel(et))
            print("  %-44s %d elements: max|g| %.2e, |fd - autograd| %.2e (/ max|g| %.2e), |fd - titan| %.2e (/ max|g| %.2e) %s"
                  % (name, len(errs_ref), scale, er, rel(er), et, rel(et), "ok" if good else "FAIL"))
    print("finite differences (five-point, h = %g, float64): %d elements of %d tensors (%d replaced: a routing or "
          "clamp choice changed); worst / max|g| vs autograd %.3e (limit %.0e), vs titan %.3e (limit %.0e), "
          "each limit plus %.1e (50 eps |L| / h) %s"
          % (h, n, len(P), skipped, worst_ref, tol_fd, worst_titan, tol_titan, atol, "ok" if ok else "FAIL"))
    return ok


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("weights")
    p.add_argument("tokens")
    p.add_argument("--family", required=True, choices=["llama3", "qwen3", "llama4", "deepseek_v3", "gpt_oss"])
    p.add_argument("--report", required=True)
    p.add_argument("--grads")
    p.add_argument("--fd-samples", type=int, default=0, help="elements per tensor checked by finite differences")
    p.add_argument("--fd-h", type=float, default=1e-4)
    p.add_argument("--fd-tol", type=float, default=1e-5)
    p.add_argument("--grad-tol", type=float, default=1e-4)
    p.add_argument("--loss-tol", type=float, default=1e-4)
    p.add_argument("--norm-tol", type=float, default=1e-4)
    p.add_argument("--expect-clip", action="store_true", help="fail unless some step clips")
    p.add_argument("--expect-bias-moves", action="store_true", help="fail unless the expert biases change")
    p.add_argument("--expect-clamp", action="store_true", help="fail unless gpt-oss's SwiGLU clamp cuts at step 1")
    p.add_argument("--bf16", action="store_true")
    p.add_argument("--break", dest="broken", action="append", default=[], choices=BREAKS)
    p.add_argument("--negative", action="append", default=[], choices=BREAKS,
                   help="after the comparison, each such deliberately wrong reference must fail it")
    # optimizer and schedule (titan's [train] keys; torchtitan's defaults)
    p.add_argument("--lr", type=float, default=8e-4)
    p.add_argument("--beta1", type=float, default=0.9)
    p.add_argument("--beta2", type=float, default=0.95)
    p.add_argument("--eps", type=float, default=1e-8)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--max-norm", type=float, default=1.0)
    p.add_argument("--warmup-steps", type=int, default=200)
    p.add_argument("--decay", default="linear", choices=["none", "linear", "sqrt", "cosine"])
    p.add_argument("--decay-ratio", type=float)
    p.add_argument("--min-lr-factor", type=float, default=0.0)
    p.add_argument("--total-steps", type=int)
    p.add_argument("--load-balance-coeff", type=float, default=1e-3)
    # model (family defaults when not given)
    for name, kind in [("norm-eps", float), ("n-heads", int), ("theta", float), ("scaling-factor", float),
                       ("low", float), ("high", float), ("orig", float), ("chunk", int), ("nope-every", int),
                       ("top-k", int), ("route-scale", float), ("groups", int), ("limited", int),
                       ("rope-factor", float), ("beta-fast", float), ("beta-slow", float), ("mscale", float),
                       ("window", int), ("swiglu-limit", float), ("swiglu-alpha", float)]:
        p.add_argument("--" + name, type=kind)
    p.add_argument("--score-func", choices=["softmax", "sigmoid"])
    p.add_argument("--route-norm", type=int, choices=[0, 1])
    a = p.parse_args()
    defaults = {
        "llama3": dict(norm_eps=1e-5, n_heads=16, theta=5e5, scaling_factor=8.0, low=1.0, high=4.0, orig=8192.0),
        "qwen3": dict(norm_eps=1e-6, theta=1e6, top_k=8, score_func="softmax", route_norm=1, route_scale=1.0),
        "llama4": dict(norm_eps=1e-5, n_heads=16, theta=5e5, scaling_factor=16.0, low=1.0, high=1.0, orig=8192.0,
                       chunk=256, nope_every=4, top_k=1, score_func="sigmoid", route_norm=0, route_scale=1.0),
        "deepseek_v3": dict(norm_eps=1e-5, theta=1e4, rope_factor=40.0, beta_fast=32.0, beta_slow=1.0, orig=4096.0,
                            mscale=0.7, top_k=3, score_func="softmax", route_norm=0, route_scale=1.0, groups=0,
                            limited=0),
        "gpt_oss": dict(norm_eps=1e-5, theta=150000.0, rope_factor=32.0, beta_fast=32.0, beta_slow=1.0, orig=4096.0,
                        window=128, top_k=4, score_func="softmax", route_norm=1, route_scale=1.0, swiglu_limit=7.0,
                        swiglu_alpha=1.702),
    }[a.family]
    for k, v in defaults.items():
        if getattr(a, k) is None:
            setattr(a, k, v)
    a.route_norm = bool(a.route_norm)
    W = read_safetensors(a.weights)
    tok = read_safetensors(a.tokens)["tokens"].astype(np.int64)
    assert tok.ndim in (2, 3), tok.shape
    ok = check(a, W, tok)
    # Negative checks: each deliberately wrong reference must fail the same
    # comparison (without finite differences), or the comparison is blind to it.
    for b in a.negative:
        wrong = argparse.Namespace(**vars(a))
        wrong.broken, wrong.fd_samples = [b], 0
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            failed = not check(wrong, W, tok)
        summary = " ".join(l for l in out.getvalue().splitlines()
                           if l.startswith(("gradients:", "steps:", "tokens per expert", "FAIL")))
        print("negative check --break %s: %s: %s" % (b, "fails as it must" if failed else "FAIL: passes", summary))
        ok &= failed
    print("RESULT %s" % ("ok" if ok else "FAIL"))
    return 0 if ok else 3


def check(a, W, tok):
    """The whole comparison with the reference as `a` says (a.broken:
    deliberately wrong); prints every figure, returns whether all hold."""
    report = json.load(open(a.report))["train"]["steps"]
    S = len(report)
    batches = [torch.tensor(tok[s] if tok.ndim == 3 else tok) for s in range(S)]
    trainer = Trainer(a, W)
    sched = torch.optim.lr_scheduler.LambdaLR(trainer.opt, make_lambda(a, report[-1]["step"]))
    if a.broken:
        print("NEGATIVE CHECK: the reference is deliberately wrong: %s" % ", ".join(a.broken))
    print("reference: %s, %d parameter tensors, %d elements, MoE layers %s, B %d, T %d, %d steps%s"
          % (a.family, len(trainer.masters), sum(t.numel() for t in trainer.masters.values()),
             sorted(trainer.bias), batches[0].shape[0], batches[0].shape[1], S, ", bf16 weights, f32 masters" if a.bf16 else ""))
    ok = True
    clipped = False
    bias0 = {i: b.clone() for i, b in trainer.bias.items()}
    worst_loss = worst_norm = 0.0
    min_margin = math.inf
    for s in range(S):
        step = s + 1
        trainer.opt.zero_grad(set_to_none=True)
        P = trainer.params()
        model = trainer.model(P)
        loss = model.loss(batches[s])
        loss.backward()
        for t in P.values():                          # a tensor the loss does not use: gradient zero (titan
            if t.grad is None:                        # updates every parameter; only --break sinks gets here)
                t.grad = torch.zeros_like(t)
        min_margin = min(min_margin, model.min_margin)
        if s == 0:
            if a.groups:
                print("node-limited routing (%d groups, %d kept): the limit changed %d of %d choices at step 1%s"
                      % (a.groups, a.limited, model.group_changed, batches[0].numel() * len(model.moe_layers),
                         "" if model.group_changed else ": FAIL, not exercised"))
                ok &= model.group_changed > 0
            if a.family == "gpt_oss":
                print("clamped SwiGLU: %d gate/up values beyond +-%g at step 1" % (model.clamped, a.swiglu_limit))
                if a.expect_clamp and not model.clamped:
                    print("FAIL: the clamp is not exercised")
                    ok = False
        if s == 0 and a.grads:
            ok &= compare_gradients(P, a.grads, a.grad_tol)[0]
            if a.fd_samples > 0:
                ok &= finite_differences(trainer, P, batches[0], a.fd_samples, a.grads, a.fd_tol, a.grad_tol, a.fd_h)
        if a.bf16:                                    # the rounded weights' gradient drives the float32 masters
            for k, m in trainer.masters.items():
                m.grad = P[k].grad.to(torch.float32)
        tensors = list(trainer.masters.values())
        max_norm = 0.0 if "clipping" in a.broken else a.max_norm
        norm, coef = grad_norm_and_clip(tensors, max_norm)
        clipped |= coef < 1.0
        lr = trainer.opt.param_groups[0]["lr"]
        trainer.update_expert_bias(model.counts)
        trainer.opt.step()
        sched.step()
        r = report[s]
        dl = abs(r["loss"] - float(loss)) / abs(float(loss))
        dn = abs(r["grad_norm"] - norm) / norm
        dlr = abs(r["lr"] - lr) / lr if lr else abs(r["lr"])
        worst_loss, worst_norm = max(worst_loss, dl), max(worst_norm, dn)
        good = r["step"] == step and dl <= a.loss_tol and dn <= a.norm_tol and dlr <= 1e-12
        ok &= good
        print("step %d: loss titan %.10f torch %.10f rel %.2e | grad norm titan %.8f torch %.8f rel %.2e%s | "
              "lr titan %.6g torch %.6g %s"
              % (step, r["loss"], float(loss), dl, r["grad_norm"], norm, dn,
                 " (clipped x%.4f)" % coef if coef < 1 else "", r["lr"], lr, "ok" if good else "FAIL"))
    print("steps: worst loss rel %.3e (limit %.0e), worst grad-norm rel %.3e (limit %.0e)"
          % (worst_loss, a.loss_tol, worst_norm, a.norm_tol))
    if trainer.bias:
        moved = max(float((trainer.bias[i] - bias0[i]).abs().max()) for i in trainer.bias)
        print("MoE: smallest top-k margin over the steps %.3e; expert_bias moved by up to %.3e" % (min_margin, moved))
        last = json.load(open(a.report))["train"].get("tokens_per_expert", [])
        mine = [model.counts[i].tolist() for i in sorted(model.counts)]
        same = [list(map(float, x)) for x in last] == mine
        print("tokens per expert of the last step, titan %s torch: %s%s"
              % ("==" if same else "!=", mine, "" if same else " (titan: %s)" % last))
        ok &= same
        if a.expect_bias_moves and moved == 0:
            print("FAIL: the expert biases did not move (load balancing not exercised)")
            ok = False
    if a.expect_clip and not clipped:
        print("FAIL: no step clipped (max_norm %g): clipping not exercised" % a.max_norm)
        ok = False
    print("comparison %s" % ("ok" if ok else "FAIL"))
    return ok


if __name__ == "__main__":
    sys.exit(main())
