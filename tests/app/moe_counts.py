#!/usr/bin/env python3
"""Parameter totals and activated counts of every Qwen3, Llama4 and GPT-OSS
flavor, computed here from the spec's shape tables (model_families.md 4.2,
4.3, 4.5 and
the definition of activated parameters in its first section), independently
of titan_app, then compared with `titan_app --dry-run --report-json`.
Usage: moe_counts.py TITAN_APP"""
import json
import os
import subprocess
import sys
import tempfile

# Qwen3 dense (spec 4.3): D, L, Hq, Hkv, F, V, tied; hd = 128 everywhere.
QWEN3_DENSE = {
    "debugmodel": (256, 8, 16, 8, 3072, 2048, True),
    "debugmodel_non_fused_qkv": (256, 8, 16, 8, 3072, 2048, True),
    "0.6B": (1024, 28, 16, 8, 3072, 151936, True),
    "1.7B": (2048, 28, 16, 8, 6144, 151936, True),
    "4B": (2560, 36, 32, 8, 9728, 151936, True),
    "8B": (4096, 36, 32, 8, 12288, 151936, False),
    "14B": (5120, 40, 40, 8, 17408, 151936, False),
    "32B": (5120, 64, 64, 8, 25600, 151936, False),
}
# Qwen3 MoE (spec 4.3): D, L, Hq, Hkv, Fm, E, K, V; untied, no shared experts.
QWEN3_MOE = {
    "debugmodel_moe": (256, 8, 16, 8, 768, 64, 8, 2048),
    "30B-A3B": (2048, 48, 32, 4, 768, 128, 8, 151936),
    "235B-A22B": (4096, 94, 64, 4, 1536, 128, 8, 151936),
}
# Llama4 (spec 4.2): D, L, Hq, Hkv, V, dense F, Fm, E, K, S, MoE layer indices.
LLAMA4 = {
    "debugmodel": (256, 6, 16, 16, 2048, 768, 512, 8, 1, 1, [1, 3, 5]),
    "17bx16e": (5120, 48, 40, 8, 202048, 16384, 8192, 16, 1, 1, list(range(48))),
    "17bx128e": (5120, 48, 40, 8, 202048, 16384, 8192, 128, 1, 1, list(range(1, 48, 2))),
}

# GPT-OSS (spec 4.5): D, L, V, Fm, E, K; Hq 64, Hkv 8, hd 64 in every flavor.
GPT_OSS = {
    "debugmodel": (256, 4, 2048, 2880, 8, 4),
    "20b": (2880, 24, 201088, 2880, 32, 4),
    "120b": (2880, 36, 201088, 2880, 128, 4),
}


def attention(D, Hq, Hkv, hd, qk_norm):
    return D * Hq * hd + 2 * D * Hkv * hd + Hq * hd * D + (2 * hd if qk_norm else 0)


def qwen3_dense(D, L, Hq, Hkv, F, V, tied):
    layer = attention(D, Hq, Hkv, 128, True) + 3 * D * F + 2 * D
    total = L * layer + D + V * D * (1 if tied else 2)
    return total, total


def qwen3_moe(D, L, Hq, Hkv, Fm, E, K, V):
    layer = attention(D, Hq, Hkv, 128, True) + E * D + 3 * E * Fm * D + 2 * D
    total = L * layer + D + 2 * V * D
    return total, total - L * (E - K) * 3 * Fm * D


def llama4(D, L, Hq, Hkv, V, F, Fm, E, K, S, moe_layers):
    total = D + 2 * V * D
    for i in range(L):
        total += attention(D, Hq, Hkv, D // Hq, False) + 2 * D
        total += (E * D + 3 * E * Fm * D + 3 * S * Fm * D) if i in moe_layers else 3 * D * F
    return total, total - len(moe_layers) * (E - K) * 3 * Fm * D


def gpt_oss(D, L, V, Fm, E, K, Hq=64, Hkv=8, hd=64):
    """Spec 4.5's tree: wqkv [(Hq+2Hkv) hd, D] + bias [(Hq+2Hkv) hd] (titan_app
    splits it into wq/wk/wv with biases: the same elements), wo [D, Hq hd] + bias
    [D], sinks [Hq], two norms [D], router gate [E, D] + bias [E], experts
    mlp1_weight [E, 2Fm, D], mlp1_bias [E, 2Fm], mlp2_weight [E, D, Fm],
    mlp2_bias [E, D]; root: embedding [V, D], norm [D], output [V, D] (untied).
    Activated: total minus, per layer, the E - K experts a token skips."""
    qkv = (Hq + 2 * Hkv) * hd * D + (Hq + 2 * Hkv) * hd
    wo = D * Hq * hd + D
    per_expert = 2 * Fm * D + 2 * Fm + D * Fm + D
    layer = qkv + wo + Hq + 2 * D + E * D + E + E * per_expert
    total = L * layer + V * D + D + V * D
    return total, total - L * (E - K) * per_expert


def expected():
    out = {}
    for f, row in QWEN3_DENSE.items():
        out[("qwen3", f)] = qwen3_dense(*row)
    for f, row in QWEN3_MOE.items():
        out[("qwen3", f)] = qwen3_moe(*row)
    for f, row in LLAMA4.items():
        out[("llama4", f)] = llama4(*row)
    for f, row in GPT_OSS.items():
        out[("gpt_oss", f)] = gpt_oss(*row)
    return out


def main(app):
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for (family, flavor), (total, activated) in expected().items():
            report = os.path.join(tmp, "r.json")
            subprocess.run([app, "--dry-run", "--quiet", "--set", "model.family=" + family,
                            "--set", "model.flavor=" + flavor, "--report-json", report, "inputs/llama3_debug.toml"],
                           check=True, stdout=subprocess.DEVNULL)
            p = json.load(open(report))["params"]
            ok = p["total"] == total and p["activated"] == activated
            print("%-7s %-25s total %15d activated %15d  %s" % (family, flavor, total, activated,
                  "ok" if ok else "FAIL: titan_app says %d / %d" % (p["total"], p["activated"])))
            if not ok:
                failures.append(flavor)
    # Anchors: published sizes (Qwen3-30B-A3B: 30.5B total, 3.3B active;
    # Qwen3-235B-A22B: 235B / 22B; Llama 4 Maverick: 400B / 17B).
    e = expected()
    def near(value, published, tol):
        return abs(value / 1e9 - published) <= tol
    assert near(e[("qwen3", "30B-A3B")][0], 30.5, 0.1) and near(e[("qwen3", "30B-A3B")][1], 3.3, 0.1)
    assert near(e[("qwen3", "235B-A22B")][0], 235, 1) and near(e[("qwen3", "235B-A22B")][1], 22, 0.5)
    assert near(e[("llama4", "17bx128e")][0], 400, 1) and near(e[("llama4", "17bx128e")][1], 17, 0.5)
    # OpenAI's active counts (3.61B, 5.13B) leave out the embedding table
    # (V x D = 579M); the spec's definition counts it, so ours are 579M more.
    vd = 201088 * 2880
    assert near(e[("gpt_oss", "20b")][0], 20.91, 0.01) and near(e[("gpt_oss", "20b")][1] - vd, 3.61, 0.01)
    assert near(e[("gpt_oss", "120b")][0], 116.83, 0.01) and near(e[("gpt_oss", "120b")][1] - vd, 5.13, 0.01)
    print("%d flavors, %d failed" % (len(e), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
