#!/usr/bin/env python3
"""Training-step benchmark: titan_app --train against PyTorch eager doing the
same steps on the same weights and tokens, both measured in this run.

  bench/train_bench.py [--build build] [--flavor 1B] [--batch 1] [--seq-len 256] [--steps 3] [--dir /tmp/trbench]

Steps: (1) titan_dump_weights writes the deck's Llama3 model (run.seed 0,
float32) to DIR/weights.safetensors and a tokens file DIR/tokens.safetensors
([B, T], fixed seed) is written; (2) titan_app --train on 1 rank with
OPENBLAS_NUM_THREADS=1 runs --steps steps (forward, backward, global
gradient clipping, AdamW with torchtitan's defaults and schedule) and
reports each step's loss, grad norm and seconds; (3) the same steps in
PyTorch eager (torch.set_num_threads(1), float32, the model written here
from the spec: RMSNorm, complex RoPE with Llama's scaling, causal GQA with
an explicit mask, SwiGLU, tied embedding when the flavor ties; autograd;
torch.nn.utils.clip_grad_norm_; torch.optim.AdamW with a LambdaLR holding
torchtitan's warmup/decay factor), timed per step, its losses and grad norms
compared with titan's. The first step of each is a warm-up (page faults of
the fresh gradients and moments); the ratio is of the mean of the later
steps' times.
Needs python3-numpy and python3-torch (Debian). Memory: the fp32 model, its
gradients and two moments (16 bytes per parameter: 20 GB for 1B) in titan,
then the same in torch, one at a time.
"""
import argparse
import json
import math
import os
import struct
import subprocess
import sys
import time

os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from forward_bench import read_safetensors, rope_freqs  # noqa: E402

HEADS = {"debugmodel": 16, "1B": 32, "3B": 24, "8B": 32, "70B": 64, "405B": 128}


def write_tokens(path, B, T, V, seed=7):
    ids = np.random.default_rng(seed).integers(0, V, size=(B, T), dtype=np.int64)
    h = json.dumps({"tokens": {"dtype": "I64", "shape": [B, T], "data_offsets": [0, ids.nbytes]}}).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + ids.tobytes())
    return ids


def lr_factor(step, total, warmup):
    """torchtitan's linear_warmup_stable_decay, linear decay, no decay_ratio,
    min_lr_factor 0, for the 0-indexed current_step LambdaLR passes."""
    warmup = min(warmup, total)
    decay = total - warmup
    stable = total + 1 - warmup - decay
    if step < warmup:
        return (step + 1) / warmup
    if step < warmup + stable:
        return 1.0
    progress = (step + 1 - (warmup + stable)) / decay
    return 1.0 - progress


def torch_model(torch, W, n_heads, eps=1e-5):
    F = torch.nn.functional
    D = W["norm.weight"].shape[0]
    hd = D // n_heads
    hkv = W["layers.0.attention.wk.weight"].shape[0] // hd
    L = 1 + max(int(k.split(".")[1]) for k in W if k.startswith("layers."))

    def rms(x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w

    def forward(tokens):
        B, T = tokens.shape
        ang = torch.from_numpy(np.outer(np.arange(T), rope_freqs(hd)).astype(np.float32))
        cis = torch.polar(torch.ones_like(ang), ang)[None, :, None, :]
        mask = torch.full((T, T), float("-inf")).triu(1)

        def rope(x):
            z = torch.view_as_complex(x.reshape(*x.shape[:-1], -1, 2))
            return torch.view_as_real(z * cis).flatten(3)

        emb = W.get("tok_embeddings.weight", W["output.weight"])
        x = F.embedding(tokens, emb)
        for i in range(L):
            g = lambda n: W["layers.%d.%s" % (i, n)]
            h = rms(x, g("attention_norm.weight"))
            q = F.linear(h, g("attention.wq.weight")).view(B, T, n_heads, hd)
            k = F.linear(h, g("attention.wk.weight")).view(B, T, hkv, hd)
            v = F.linear(h, g("attention.wv.weight")).view(B, T, hkv, hd)
            q, k = rope(q), rope(k)
            k = k.repeat_interleave(n_heads // hkv, dim=2)
            v = v.repeat_interleave(n_heads // hkv, dim=2)
            q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
            s = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd) + mask, dim=-1)
            o = (s @ v).transpose(1, 2).reshape(B, T, n_heads * hd)
            x = x + F.linear(o, g("attention.wo.weight"))
            h = rms(x, g("ffn_norm.weight"))
            x = x + F.linear(F.silu(F.linear(h, g("feed_forward.w1.weight"))) * F.linear(h, g("feed_forward.w3.weight")),
                             g("feed_forward.w2.weight"))
        x = rms(x, W["norm.weight"])
        logits = F.linear(x, W["output.weight"])
        # next-token cross-entropy, mean over B * (T - 1) predictions
        return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), tokens[:, 1:].reshape(-1))

    return forward


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--deck", default="inputs/llama3_debug.toml")
    ap.add_argument("--flavor", default="1B")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seq-len", type=int, default=256)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--layers", type=int, default=0, help="override n_layers (0: the flavor's)")
    ap.add_argument("--dir", default="/tmp/trbench")
    ap.add_argument("--keep", action="store_true", help="keep the weight dump")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    sets = ["--set", "model.flavor=" + a.flavor]
    if a.layers > 0:
        sets += ["--set", "model.n_layers=%d" % a.layers]
    wpath, tpath, rpath = (os.path.join(a.dir, n) for n in ("weights.safetensors", "tokens.safetensors", "report.json"))
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_ess_singleton_isolated="1")
    if not os.path.exists(wpath):
        t = time.time()
        subprocess.run([os.path.join(a.build, "tests", "titan_dump_weights"), a.deck, wpath] + sets, check=True, env=env)
        print("weights dumped in %.1f s" % (time.time() - t))
    W0 = read_safetensors(wpath)
    V = W0["output.weight"].shape[0]
    tokens = write_tokens(tpath, a.batch, a.seq_len, V)
    del W0

    # ---- titan
    cmd = [os.path.join(a.build, "titan_app"), a.deck, "--quiet", "--train", "--set", "train.steps=%d" % a.steps,
           "--set", "train.tokens_file=" + tpath, "--report-json", rpath] + sets
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    tr = json.load(open(rpath))["train"]
    t_steps = [s["seconds"] for s in tr["steps"]]
    print("titan   : steps %s s; loss %s; grad norm %s; peak RSS %.2f GiB, planned %.2f GiB"
          % (", ".join("%.2f" % s for s in t_steps), ", ".join("%.5f" % s["loss"] for s in tr["steps"]),
             ", ".join("%.4f" % s["grad_norm"] for s in tr["steps"]), tr["peak_rss"] / 2**30,
             tr["planned_peak_bytes"] / 2**30))

    # ---- torch
    import torch
    torch.set_num_threads(1)
    W = {k: torch.from_numpy(np.array(v)).requires_grad_(True) for k, v in read_safetensors(wpath).items()
         if not k.startswith("freqs_cis") and "expert_bias" not in k and "tokens_per_expert" not in k}
    n_heads = HEADS[a.flavor]
    fwd = torch_model(torch, W, n_heads)
    params = list(W.values())
    opt = torch.optim.AdamW(params, lr=8e-4, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, a.steps, 200))
    tok = torch.from_numpy(tokens)
    p_steps, p_loss, p_norm = [], [], []
    for step in range(a.steps):
        t = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = fwd(tok)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        p_steps.append(time.perf_counter() - t)
        p_loss.append(loss.item())
        p_norm.append(float(norm))
    print("torch   : steps %s s; loss %s; grad norm %s (torch %s, 1 thread)"
          % (", ".join("%.2f" % s for s in p_steps), ", ".join("%.5f" % s for s in p_loss),
             ", ".join("%.4f" % s for s in p_norm), torch.__version__))
    dl = max(abs(x - y) / abs(y) for x, y in zip((s["loss"] for s in tr["steps"]), p_loss))
    dn = max(abs(x - y) / abs(y) for x, y in zip((s["grad_norm"] for s in tr["steps"]), p_norm))
    later = slice(1, None) if a.steps > 1 else slice(0, None)
    tt, pt = np.mean(t_steps[later]), np.mean(p_steps[later])
    ntok = a.batch * a.seq_len
    print("agreement: max relative difference of the losses %.2e, of the grad norms %.2e" % (dl, dn))
    print("ratio   : titan %.2f tokens/s, torch %.2f tokens/s (mean of steps %s): titan / torch = %.3f"
          % (ntok / tt, ntok / pt, "2.." + str(a.steps) if a.steps > 1 else "1", pt / tt))
    if not a.keep:
        os.remove(wpath)
    return 0


if __name__ == "__main__":
    sys.exit(main())
