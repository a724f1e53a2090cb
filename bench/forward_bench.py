#!/usr/bin/env python3
"""Forward-pass benchmark: titan_app --forward against PyTorch eager on the
same weights and tokens, and against the machine's single-core sgemm peak,
all measured in this run.

  bench/forward_bench.py [--build build] [--flavor 1B] [--batch 1] [--seq-len 256] [--dir /tmp/fwbench]
                         [--device auto|cpu|cuda] [--json FILE]

Steps: (1) titan_dump_weights writes the deck's model (Llama3, run.seed 0,
float32) to DIR/weights.safetensors; (2) titan_app --forward on 1 rank with
OPENBLAS_NUM_THREADS=1 dumps logits + tokens and reports tokens/s and
GFLOP/s, best of --reps + 1 passes ([forward] repetitions, the same passes
torch gets: one warm-up and --reps timed); (3) the same forward in PyTorch eager (torch.set_num_threads(1),
float32, written here from the spec: RMSNorm, complex RoPE, causal GQA with
an explicit mask, SwiGLU), timed best of --reps after one warm-up, its
logits compared with titan's; (4) single-core sgemm peak: numpy and torch
4096^3 matmul, best of 3. GFLOP/s of torch use titan's flop count (the same
products: full T x T attention scores, docs/forward.md).
Needs python3-numpy; without torch it reports titan's figures only. --device
auto (default): torch on CUDA when it sees a GPU (then the sgemm peak is
torch's matmul on it), else the CPU with one thread. Memory: about 2x the fp32
model (titan or torch, one at a time, plus the page cache of the dump).
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


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    mm = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
    dt = {"F32": np.float32, "I64": np.int64}
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        out[name] = mm[b:end].view(dt[e["dtype"]]).reshape(e["shape"])
    return out


def rope_freqs(hd, theta=500000.0, factor=8.0, low=1.0, high=4.0, orig=8192.0):
    f = 1.0 / theta ** (np.arange(0, hd, 2, dtype=np.float64) / hd)
    out = []
    for fj in f:
        wl = 2 * math.pi / fj
        if wl > orig / low:
            out.append(fj / factor)
        elif wl < orig / high:
            out.append(fj)
        else:
            k = (orig / wl - low) / (high - low)
            out.append((1 - k) * fj / factor + k * fj)
    return np.array(out)


def torch_forward(torch, W, tokens, n_heads, eps=1e-5):
    F = torch.nn.functional
    D = W["norm.weight"].shape[0]
    hd = D // n_heads
    hkv = W["layers.0.attention.wk.weight"].shape[0] // hd
    L = 1 + max(int(k.split(".")[1]) for k in W if k.startswith("layers."))
    B, T = tokens.shape
    dev = W["norm.weight"].device
    ang = torch.from_numpy(np.outer(np.arange(T), rope_freqs(hd)).astype(np.float32))
    cis = torch.polar(torch.ones_like(ang), ang)[None, :, None, :].to(dev)
    mask = torch.full((T, T), float("-inf")).triu(1).to(dev)

    def rms(x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w

    def rope(x):
        z = torch.view_as_complex(x.reshape(*x.shape[:-1], -1, 2))
        return torch.view_as_real(z * cis).flatten(3)

    emb = W.get("tok_embeddings.weight", W["output.weight"])
    x = emb[tokens]
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
    return F.linear(x, W["output.weight"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--deck", default="inputs/llama3_debug.toml")
    ap.add_argument("--flavor", default="1B")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seq-len", type=int, default=256)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--dir", default="/tmp/fwbench")
    ap.add_argument("--keep", action="store_true", help="keep the weight dump")
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--json", help="also write the figures as JSON")
    a = ap.parse_args()
    result = {"flavor": a.flavor, "batch": a.batch, "seq_len": a.seq_len}

    def write_json():
        if a.json:
            with open(a.json, "w") as f:
                json.dump(result, f, indent=1)
    os.makedirs(a.dir, exist_ok=True)
    sets = ["--set", "model.flavor=" + a.flavor]
    wpath, lpath, rpath = (os.path.join(a.dir, n) for n in ("weights.safetensors", "logits.safetensors", "report.json"))
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    if not os.path.exists(wpath):
        t = time.time()
        subprocess.run([os.path.join(a.build, "tests", "titan_dump_weights"), a.deck, wpath] + sets, check=True, env=env)
        print("weights dumped in %.1f s" % (time.time() - t))
    subprocess.run([os.path.join(a.build, "titan_app"), a.deck, "--quiet", "--forward", "--set", "forward.batch=%d" % a.batch,
                    "--set", "forward.seq_len=%d" % a.seq_len, "--set", "forward.repetitions=%d" % (a.reps + 1), "--dump-logits", lpath, "--report-json", rpath] + sets,
                   check=True, env=env, stdout=subprocess.DEVNULL)
    rep = json.load(open(rpath))
    fw = rep["forward"]
    print("titan   : %8.1f tokens/s  %7.2f GFLOP/s  (%.3f s best of %d, %.1f GFLOP, loss %.4f, ln V %.4f, peak RSS %.2f GiB, planned %.2f GiB)"
          % (fw["tokens_per_s"], fw["gflops"], fw["seconds"], fw["repetitions"], fw["flops"] / 1e9, fw["loss"], fw["ln_vocab"],
             fw["peak_rss"] / 2**30, fw["planned_bytes"] / 2**30))
    result["titan"] = {k: fw[k] for k in ("tokens_per_s", "gflops", "seconds", "repetitions", "flops", "loss")}
    result["titan"]["device"] = rep.get("device")

    try:
        import torch
    except ImportError:
        print("torch   : not importable by %s; titan's figures only" % sys.executable)
        result["torch"] = None
        write_json()
        if not a.keep:
            os.remove(wpath)
        return 0
    torch.set_num_threads(1)
    device = a.device if a.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    W = {k: torch.from_numpy(np.ascontiguousarray(v)).to(device) for k, v in read_safetensors(wpath).items()}
    dump = read_safetensors(lpath)
    tokens = torch.from_numpy(np.array(dump["tokens"])).to(device)
    n_heads = {"debugmodel": 16, "1B": 32, "3B": 24, "8B": 32, "70B": 64, "405B": 128}[a.flavor]
    best = 1e30
    with torch.no_grad():
        for r in range(a.reps + 1):
            sync()
            t = time.perf_counter()
            logits = torch_forward(torch, W, tokens, n_heads)
            sync()
            dt = time.perf_counter() - t
            if r > 0:
                best = min(best, dt)
    ntok = a.batch * a.seq_len
    ref = logits.cpu().numpy().astype(np.float64)
    got = np.array(dump["logits"], dtype=np.float64)
    rel = np.abs(got - ref).max() / np.abs(ref).max()
    where = "1 thread" if device == "cpu" else torch.cuda.get_device_name()
    print("torch   : %8.1f tokens/s  %7.2f GFLOP/s  (%.3f s best of %d, torch %s, %s); max |titan - torch| / max |logit| = %.2e"
          % (ntok / best, fw["flops"] / best / 1e9, best, a.reps, torch.__version__, where, rel))
    result["torch"] = {"version": torch.__version__, "device": where, "tokens_per_s": ntok / best,
                       "gflops": fw["flops"] / best / 1e9, "seconds": best, "max_rel_logit_diff": float(rel)}
    del W, logits
    if device == "cuda":  # the GPU's own sgemm figure, torch's matmul
        n = 8192
        At = torch.randn(n, n, device=device)
        Bt = torch.randn(n, n, device=device)
        At @ Bt
        best_mm = 1e30
        for _ in range(3):
            sync()
            t0 = time.perf_counter()
            At @ Bt
            sync()
            best_mm = min(best_mm, time.perf_counter() - t0)
        peak = 2 * n**3 / best_mm / 1e9
        result["sgemm_peak_gflops"] = peak
        print("sgemm   : torch %.1f GFLOP/s (%d^3 fp32 on %s)" % (peak, n, where))
        print("ratios  : titan / torch = %.3f (tokens/s), titan / sgemm peak = %.3f, torch / sgemm peak = %.3f"
              % (best / fw["seconds"], fw["gflops"] / peak, fw["flops"] / best / 1e9 / peak))
        write_json()
        if not a.keep:
            os.remove(wpath)
        return 0

    n = 4096
    A = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    Bm = np.random.default_rng(1).standard_normal((n, n), dtype=np.float32)
    tn = min((lambda t0: (A @ Bm, time.perf_counter() - t0)[1])(time.perf_counter()) for _ in range(3))
    At, Bt = torch.from_numpy(A), torch.from_numpy(Bm)
    tt = min((lambda t0: (At @ Bt, time.perf_counter() - t0)[1])(time.perf_counter()) for _ in range(3))
    peak = 2 * n**3 / min(tn, tt) / 1e9
    print("sgemm   : numpy %.2f GFLOP/s, torch %.2f GFLOP/s (4096^3, 1 thread); peak = %.2f" % (2 * n**3 / tn / 1e9,
                                                                                               2 * n**3 / tt / 1e9, peak))
    print("ratios  : titan / torch = %.3f (tokens/s), titan / sgemm peak = %.3f, torch / sgemm peak = %.3f"
          % (best / fw["seconds"], fw["gflops"] / peak, fw["flops"] / best / 1e9 / peak))
    result["sgemm_peak_gflops"] = peak
    write_json()
    if not a.keep:
        os.remove(wpath)
    return 0


if __name__ == "__main__":
    sys.exit(main())
