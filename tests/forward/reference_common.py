"""What every forward reference script (reference_<family>.py) shares and
none of them computes the model with: reading the safetensors files, the
RMSNorm/SiLU/SwiGLU primitives, the routing statistics, and the final
comparison of titan's logits and report against the reference's.
The family maths stay in each script."""
import json
import math
import struct

import numpy as np

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32}


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
        out[name] = np.frombuffer(data[b:end], dtype=DTYPES[e["dtype"]]).reshape(e["shape"])
    return out


def rmsnorm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def silu(u):
    return u / (1 + np.exp(-u))


def swiglu(h, w1, w2, w3):
    return (silu(h @ w1.T) * (h @ w3.T)) @ w2.T


class Routing:
    """Counts the routing decisions and the smallest margin between the k-th
    and the (k+1)-th biased score (a near tie could flip a float32 choice)."""

    def __init__(self):
        self.decisions = 0
        self.min_margin = math.inf


def compare(ref, got, tokens, a):
    """titan's logits `got` against the reference's `ref` [B, T, V]
    (max |d| <= a.tol * max |logit|), the reference's mean next-token loss
    within a.loss_window of ln V, and (with a.report) the report's loss,
    ln V, batch and seq_len. Prints each figure; returns whether all hold."""
    B, T, V = ref.shape
    assert got.shape == ref.shape, (got.shape, ref.shape)
    err = np.abs(got - ref).max()
    scale = np.abs(ref).max()
    # next-token cross-entropy, mean over B*(T-1)
    lse = np.log(np.exp(ref - ref.max(axis=2, keepdims=True)).sum(axis=2)) + ref.max(axis=2)
    nll = lse[:, :-1] - np.take_along_axis(ref[:, :-1, :], tokens[:, 1:, None], axis=2)[..., 0]
    loss = nll.mean()
    ok = err <= a.tol * scale
    print("logits [%d, %d, %d]: max |titan - numpy| = %.3e, max |logit| = %.4f, ratio %.3e (limit %.0e) %s"
          % (B, T, V, err, scale, err / scale, a.tol, "ok" if ok else "FAIL"))
    # At init the logits are nearly Gaussian with standard deviation sigma, so
    # the expected loss is about ln V + sigma^2 / 2 (printed for context).
    sigma = ref.std()
    print("reference loss %.6f, ln V = %.6f, |loss - ln V| = %.4f (limit %.2f); logit std %.4f: ln V + std^2/2 = %.4f"
          % (loss, math.log(V), abs(loss - math.log(V)), a.loss_window, sigma, math.log(V) + sigma * sigma / 2))
    if abs(loss - math.log(V)) >= a.loss_window:
        print("FAIL: loss not within the window of ln V")
        ok = False
    if a.report:
        rep = json.load(open(a.report))["forward"]
        d = abs(rep["loss"] - loss)
        print("report loss %.6f, |report - reference| = %.2e" % (rep["loss"], d))
        if d > 1e-4 * max(1.0, loss):
            print("FAIL: report loss differs from the reference")
            ok = False
        if abs(rep["ln_vocab"] - math.log(V)) > 1e-9 or rep["batch"] != B or rep["seq_len"] != T:
            print("FAIL: report batch/seq_len/ln_vocab")
            ok = False
    return ok
