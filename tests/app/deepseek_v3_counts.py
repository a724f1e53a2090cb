#!/usr/bin/env python3
"""Parameter totals and activated counts of every DeepSeek-V3 flavor,
computed here from the spec's shape tables (model_families.md 4.4 and the
definition of activated parameters in its first section), independently of
titan_app, then compared with `titan_app --dry-run --report-json`.
Usage: deepseek_v3_counts.py TITAN_APP"""
import json
import os
import subprocess
import sys
import tempfile

# Spec 4.4: D, L, V, H, q_lora, dense F, n_dense, Fm, E, S, K.
# Common: kv_lora 512, qk_nope 128, qk_rope 64, v_head 128; untied; no MTP.
FLAVORS = {
    "debugmodel": (256, 6, 2048, 16, 0, 1024, 1, 256, 8, 2, 3),
    "16B": (2048, 27, 102400, 16, 0, 10944, 1, 1408, 64, 2, 6),
    "236B": (5120, 60, 102400, 128, 1536, 12288, 1, 1536, 160, 2, 6),
    "671B": (7168, 61, 129280, 128, 1536, 18432, 3, 2048, 256, 1, 8),
}
KV_LORA, NOPE, ROPE, V_HEAD = 512, 128, 64, 128
# The other branches (low-rank q, 2 dense layers, S = 1) on a small model:
# tests/inputs/deepseek_v3/debug_q_lora.toml, q_lora 96.
VARIANTS = {
    "tests/inputs/deepseek_v3/debug_q_lora.toml": (256, 6, 2048, 16, 96, 1024, 2, 256, 8, 1, 3),
}


def mla(D, H, q_lora):
    """The MLA tree of spec 4.4, one term per parameter."""
    if q_lora == 0:
        q = H * (NOPE + ROPE) * D                                 # wq [H*192, D]
    else:
        q = q_lora * D + q_lora + H * (NOPE + ROPE) * q_lora      # wq_a [q, D], q_norm [q], wq_b [H*192, q]
    kv = (KV_LORA + ROPE) * D + KV_LORA + H * (NOPE + V_HEAD) * KV_LORA  # wkv_a, kv_norm, wkv_b
    return q + kv + D * H * V_HEAD                               # + wo [D, H*128]


def counts(D, L, V, H, q_lora, F, n_dense, Fm, E, S, K):
    total = V * D + D + V * D                                    # tok_embeddings, norm, output
    for i in range(L):
        total += mla(D, H, q_lora) + 2 * D                       # attention, attention_norm, ffn_norm
        if i < n_dense:
            total += 3 * F * D                                   # feed_forward w1, w2, w3
        else:
            total += E * D + 3 * E * Fm * D + 3 * S * Fm * D     # router gate, experts, shared experts
    activated = total - (L - n_dense) * (E - K) * 3 * Fm * D     # the routed experts a token skips
    return total, activated


def main(app):
    failures = []
    expected = {f: counts(*row) for f, row in FLAVORS.items()}
    runs = [(f, ["--set", "model.family=deepseek_v3", "--set", "model.flavor=" + f, "inputs/llama3_debug.toml"],
             expected[f]) for f in FLAVORS]
    runs += [(deck, [deck], counts(*row)) for deck, row in VARIANTS.items()]
    with tempfile.TemporaryDirectory() as tmp:
        for flavor, args, (total, activated) in runs:
            report = os.path.join(tmp, "r.json")
            subprocess.run([app, "--dry-run", "--quiet", "--report-json", report] + args,
                           check=True, stdout=subprocess.DEVNULL)
            p = json.load(open(report))["params"]
            ok = p["total"] == total and p["activated"] == activated
            print("deepseek_v3 %-11s total %16d activated %15d  %s" % (flavor, total, activated,
                  "ok" if ok else "FAIL: titan_app says %d / %d" % (p["total"], p["activated"])))
            if not ok:
                failures.append(flavor)

    # Anchors: published sizes without the MTP module (DeepSeek-V3: 671B
    # total, 37B activated; DeepSeek-V2: 236B / 21B; DeepSeek-V2-Lite:
    # 15.7B / 2.4B; its 2.4B leaves out the 0.21B input embedding, which
    # the spec's definition counts), so a wrong shape table would not pass either.
    def near(value, published, tol):
        return abs(value / 1e9 - published) <= tol
    assert near(expected["671B"][0], 671, 1) and near(expected["671B"][1], 37, 1), expected["671B"]
    assert near(expected["236B"][0], 236, 1) and near(expected["236B"][1], 21, 1), expected["236B"]
    assert near(expected["16B"][0], 15.7, 0.2) and near(expected["16B"][1], 2.4, 0.3), expected["16B"]
    print("%d flavors and %d variants, %d failed" % (len(expected), len(VARIANTS), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
