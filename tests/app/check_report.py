#!/usr/bin/env python3
"""Checks a titan_app JSON report against facts that do not come from titan_app:
the contract keys (design.md section 6), the init rules of Llama3, Llama4,
Qwen3, DeepSeek-V3, GPT-OSS and Flux (spec 4.1-4.6, written out here), and each
parameter's mean/std/min/max against its distribution's formula with a
sampling tolerance. Parameters loaded from a checkpoint (init "loaded") are
only counted. Usage: check_report.py REPORT.json"""
import json
import math
import re
import sys


def phi(x):
    return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def Phi(x):
    return 0.5 * math.erfc(-x / math.sqrt(2))


def expected_moments(spec):
    """(mean, std, lo, hi) of the distribution an init spec describes."""
    k = spec["kind"]
    if k == "normal":
        return spec["mean"], spec["std"], -math.inf, math.inf
    if k == "trunc_normal":
        mu, s, a, b = spec["mean"], spec["std"], spec["a"], spec["b"]
        al, be = (a - mu) / s, (b - mu) / s
        Z = Phi(be) - Phi(al)
        m = mu + s * (phi(al) - phi(be)) / Z
        var = s * s * (1 + (al * phi(al) - be * phi(be)) / Z - ((phi(al) - phi(be)) / Z) ** 2)
        return m, math.sqrt(var), a, b
    if k == "uniform":
        a, b = spec["a"], spec["b"]
        return (a + b) / 2, (b - a) / math.sqrt(12), a, b
    v = {"ones": 1.0, "zeros": 0.0}.get(k, spec.get("value"))
    return v, 0.0, v, v


def llama3_rule(fqn, dim):
    """Llama3's initializer for an FQN (spec 4.1), independent of titan_app."""
    m = re.match(r"layers\.(\d+)\.", fqn)
    if fqn.endswith("norm.weight"):
        return ("ones", None, None)
    if fqn == "tok_embeddings.weight":
        return ("normal", 1.0, None)
    if fqn == "output.weight":
        s = dim ** -0.5
        return ("trunc_normal", s, 3 * s)
    i = int(m.group(1))
    if re.search(r"attention\.w[qkv]\.weight$|feed_forward\.w1\.weight$", fqn):
        return ("trunc_normal", 0.02, 2.0)
    if re.search(r"attention\.wo\.weight$|feed_forward\.w[23]\.weight$", fqn):
        return ("trunc_normal", 0.02 / math.sqrt(2 * (i + 1)), 2.0)
    raise AssertionError("no Llama3 rule for " + fqn)


FLUX_XAVIER = re.compile(r"(img_in|txt_in)\.weight$|"
                         r"double_blocks\.\d+\.(img|txt)_(attn\.qkv|attn\.proj|mlp\.0|mlp\.2)\.weight$|"
                         r"single_blocks\.\d+\.linear[12]\.weight$")
FLUX_NORMAL = re.compile(r"(time_in|vector_in)\.(in_layer|out_layer)\.weight$")
FLUX_ZEROS = re.compile(r"double_blocks\.\d+\.(img|txt)_mod\.lin\.weight$|single_blocks\.\d+\.modulation\.lin\.weight$|"
                        r"final_layer\.(linear|adaLN_modulation\.1)\.weight$")
FLUX_ONES = re.compile(r"(double_blocks\.\d+\.(img|txt)_attn|single_blocks\.\d+)\.norm\.(query|key)_norm\.weight$")


def flux_rule(fqn, shape):
    """Flux's initializer for an FQN (spec 4.6), independent of titan_app:
    (kind, std, bound). xavier_uniform_ of a weight [out, in] is U(-r, r) with
    r = sqrt(6 / (fan_in + fan_out)), fan_in = in, fan_out = out."""
    if fqn.endswith(".bias"):
        return ("zeros", None, None)
    if FLUX_XAVIER.fullmatch(fqn):
        fan_out, fan_in = shape
        return ("uniform", None, math.sqrt(6.0 / (fan_in + fan_out)))
    if FLUX_NORMAL.fullmatch(fqn):
        return ("normal", 0.02, None)
    if FLUX_ZEROS.fullmatch(fqn):
        return ("zeros", None, None)
    if FLUX_ONES.fullmatch(fqn):
        return ("ones", None, None)
    raise AssertionError("no Flux rule for " + fqn)


def llama4_rule(fqn, dim):
    """Llama4's initializer for an FQN (spec 4.2), independent of titan_app."""
    if fqn.endswith("norm.weight"):
        return ("ones", None, None)
    if fqn == "tok_embeddings.weight":
        return ("normal", 1.0, None)
    if fqn == "output.weight":
        s = dim ** -0.5
        return ("trunc_normal", s, 3 * s)
    i = int(re.match(r"layers\.(\d+)\.", fqn).group(1))
    sigma = 0.02 / math.sqrt(2 * (i + 1))
    if re.search(r"attention\.w[qkv]\.weight$|feed_forward\.w1\.weight$|moe\.experts\.w1$|"
                 r"moe\.shared_experts\.w1\.weight$", fqn):
        return ("trunc_normal", 0.02, 2.0)
    if re.search(r"attention\.wo\.weight$|feed_forward\.w[23]\.weight$|moe\.router\.gate\.weight$|"
                 r"moe\.experts\.w[23]$|moe\.shared_experts\.w[23]\.weight$", fqn):
        return ("trunc_normal", sigma, 2.0)
    raise AssertionError("no Llama4 rule for " + fqn)


def qwen3_rule(fqn, n_layers, moe):
    """Qwen3's initializer for an FQN (spec 4.3): plain normal 0.02, except in
    MoE flavors wo and the experts' w2, N(0, 0.02 / sqrt(2 L)) with L the total
    layer count; norms (q_norm and k_norm included) ones."""
    if fqn.endswith("norm.weight"):
        return ("ones", None, None)
    if moe and re.search(r"attention\.wo\.weight$|moe\.experts\.w2$", fqn):
        return ("normal", 0.02 / math.sqrt(2 * n_layers), None)
    if re.fullmatch(r"tok_embeddings\.weight|output\.weight|layers\.\d+\.(attention\.w[qkvo]\.weight|"
                    r"feed_forward\.w[123]\.weight|moe\.router\.gate\.weight|moe\.experts\.w[123])", fqn):
        return ("normal", 0.02, None)
    raise AssertionError("no Qwen3 rule for " + fqn)


def deepseek_v3_rule(fqn, dim):
    """DeepSeek-V3's initializer for an FQN (spec 4.4), independent of titan_app:
    MLA wq, wq_a, wq_b, wkv_a, wkv_b TN(0.02) and wo TN(sigma_i); dense w1
    TN(0.02), w2/w3 TN(sigma_i); router gate TN(sigma_i); experts and shared
    experts w1 TN(0.02), w2/w3 TN(sigma_i); every norm (q_norm and kv_norm
    too) ones; embedding N(0, 1); output TN(D^-0.5, +-3 D^-0.5). TN without
    bounds = torch's default absolute bounds +-2."""
    if fqn.endswith("norm.weight"):
        return ("ones", None, None)
    if fqn == "tok_embeddings.weight":
        return ("normal", 1.0, None)
    if fqn == "output.weight":
        s = dim ** -0.5
        return ("trunc_normal", s, 3 * s)
    i = int(re.match(r"layers\.(\d+)\.", fqn).group(1))
    sigma = 0.02 / math.sqrt(2 * (i + 1))
    if re.fullmatch(r"layers\.\d+\.(attention\.(wq|wq_a|wq_b|wkv_a|wkv_b)\.weight|feed_forward\.w1\.weight|"
                    r"moe\.experts\.w1|moe\.shared_experts\.w1\.weight)", fqn):
        return ("trunc_normal", 0.02, 2.0)
    if re.fullmatch(r"layers\.\d+\.(attention\.wo\.weight|feed_forward\.w[23]\.weight|moe\.router\.gate\.weight|"
                    r"moe\.experts\.w[23]|moe\.shared_experts\.w[23]\.weight)", fqn):
        return ("trunc_normal", sigma, 2.0)
    raise AssertionError("no DeepSeek-V3 rule for " + fqn)


def gpt_oss_rule(fqn, dim):
    """GPT-OSS's initializer for an FQN (spec 4.5), independent of titan_app:
    TN(sigma_i) (torch's default bounds +-2) for q/k/v/o weights, sinks, the
    router gate weight and all four expert tensors, the expert biases
    included (random, not zeros); zeros for the q/k/v/o and gate biases;
    ones for norms; N(0, 0.02) embedding; output TN(D^-0.5, +-3 D^-0.5)."""
    if fqn.endswith("norm.weight"):
        return ("ones", None, None)
    if fqn == "tok_embeddings.weight":
        return ("normal", 0.02, None)
    if fqn == "output.weight":
        s = dim ** -0.5
        return ("trunc_normal", s, 3 * s)
    i = int(re.match(r"layers\.(\d+)\.", fqn).group(1))
    sigma = 0.02 / math.sqrt(2 * (i + 1))
    if re.search(r"attention\.w[qkvo]\.bias$|moe\.router\.gate\.bias$", fqn):
        return ("zeros", None, None)
    if re.search(r"attention\.w[qkvo]\.weight$|attention\.sinks$|moe\.router\.gate\.weight$|"
                 r"moe\.experts\.mlp[12]_(weight|bias)$", fqn):
        return ("trunc_normal", sigma, 2.0)
    raise AssertionError("no GPT-OSS rule for " + fqn)


def family_rule(report, dim):
    """The family's rule as a function of the FQN, or None for a family without one here."""
    family = report["model"]["family"]
    fqns = [p["fqn"] for p in report["parameters"]]
    n_layers = 1 + max([int(m.group(1)) for m in (re.match(r"layers\.(\d+)\.", f) for f in fqns) if m] or [-1])
    if family == "llama3":
        return lambda fqn, shape: llama3_rule(fqn, dim)
    if family == "llama4":
        return lambda fqn, shape: llama4_rule(fqn, dim)
    if family == "qwen3":
        moe = any(".moe." in f for f in fqns)
        return lambda fqn, shape: qwen3_rule(fqn, n_layers, moe)
    if family == "deepseek_v3":
        return lambda fqn, shape: deepseek_v3_rule(fqn, dim)
    if family == "flux":
        return flux_rule
    if family == "gpt_oss":
        return lambda fqn, shape: gpt_oss_rule(fqn, dim)
    return None


def main(path):
    r = json.load(open(path))
    failures = []
    for key in ["program", "version", "deck", "world_size", "dtype", "dry_run", "model", "mesh", "params",
                "fingerprint", "phases", "throughput", "parameters"]:
        if key not in r:
            failures.append("missing key " + key)
    for key in ["total", "activated", "max_per_rank", "bytes_max_per_rank"]:
        if key not in r["params"]:
            failures.append("missing params." + key)
    if not re.fullmatch(r"0x[0-9a-f]{16}", r.get("fingerprint", "")):
        failures.append("fingerprint is not 0x%016x")
    dim = None
    for p in r["parameters"]:
        if p["fqn"] == "norm.weight":
            dim = p["shape"][0]
    rule = family_rule(r, dim)
    if r["model"]["family"] in ("qwen3", "llama4", "llama3", "deepseek_v3", "gpt_oss", "flux") and rule is None:
        failures.append("no rule for family " + r["model"]["family"])
    total = 0
    bf16 = r["dtype"] == "bfloat16"
    for p in r["parameters"]:
        n = 1
        for e in p["shape"]:
            n *= e
        total += n
        if p["init"] == "loaded":  # --load: values from a checkpoint, no initializer ran
            continue
        spec = p["init_spec"]
        if rule is not None and "[init.overrides]" not in r.get("resolved_deck", ""):
            try:
                kind, std, bound = rule(p["fqn"], p["shape"])
            except AssertionError as e:
                failures.append(str(e))
                continue
            if spec["kind"] != kind or (std is not None and abs(spec["std"] - std) > 1e-12 * std) or \
               (bound is not None and (abs(spec["b"] - bound) > 1e-12 or abs(spec["a"] + bound) > 1e-12)):
                failures.append("%s: init %s is not the %s rule %s" % (p["fqn"], p["init"], r["model"]["family"],
                                                                         (kind, std, bound)))
        mean, std, lo, hi = expected_moments(spec)
        # Sampling tolerance: 6 standard errors; bf16 storage adds rounding (relative 2^-9).
        q = 2.0 ** -8 if bf16 else 2.0 ** -23
        tol_mean = 6 * std / math.sqrt(n) + q * (abs(mean) + std)
        tol_std = 6 * std / math.sqrt(2 * n) + q * std + 1e-12
        if abs(p["mean"] - mean) > tol_mean:
            failures.append("%s: mean %.6g, expected %.6g +- %.2g" % (p["fqn"], p["mean"], mean, tol_mean))
        if abs(p["std"] - std) > tol_std:
            failures.append("%s: std %.6g, expected %.6g +- %.2g" % (p["fqn"], p["std"], std, tol_std))
        if p["min"] < lo or p["max"] > hi:
            failures.append("%s: [%g, %g] leaves the bounds [%g, %g]" % (p["fqn"], p["min"], p["max"], lo, hi))
    if total != r["params"]["total"]:
        failures.append("sum of parameter sizes %d != params.total %d" % (total, r["params"]["total"]))
    for f in failures:
        print("FAIL:", f)
    print("checked %d parameters of %s: %d passed, %d failed" % (len(r["parameters"]), path,
          len(r["parameters"]) - len(failures) if len(failures) <= len(r["parameters"]) else 0, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
