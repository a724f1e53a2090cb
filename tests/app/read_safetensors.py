#!/usr/bin/env python3
"""An independent reader of a titan_app checkpoint (numpy only; it shares no
code with titan_app). Reads DIR/model.safetensors.index.json and every file:
8-byte little-endian header length, JSON header, raw little-endian data;
bfloat16 becomes float32 by shifting its bits left by 16.

  read_safetensors.py check DIR REPORT.json  -- names, shapes, dtypes against
      Llama3 debugmodel's shapes as the spec lists them (written out below),
      and each tensor's mean/std/min/max against the report's statistics.
  read_safetensors.py hf TITAN_DIR HF_DIR     -- the HF-named checkpoint holds
      the titan-named one's tensors under HF's names, q/k rows permuted as
      torchtitan's to_hf does; config.json has LlamaForCausalLM's keys.
"""
import json
import os
import struct
import sys

import numpy as np


def load(d):
    index = json.load(open(os.path.join(d, "model.safetensors.index.json")))
    out, total = {}, 0
    for f in sorted(set(index["weight_map"].values())):
        raw = open(os.path.join(d, f), "rb").read()
        (n,) = struct.unpack("<Q", raw[:8])
        assert n % 8 == 0, "%s: header length %d is not a multiple of 8" % (f, n)
        header = json.loads(raw[8:8 + n].decode("utf-8"))
        data = raw[8 + n:]
        header.pop("__metadata__", None)
        for name, t in header.items():
            b, e = t["data_offsets"]
            buf = data[b:e]
            if t["dtype"] == "F32":
                a = np.frombuffer(buf, dtype="<f4")
            elif t["dtype"] == "BF16":
                a = (np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
            else:
                raise AssertionError("%s: unexpected dtype %s" % (name, t["dtype"]))
            assert index["weight_map"][name] == f, name
            out[name] = (t["dtype"], t["shape"], a.reshape(t["shape"]), buf)
            total += e - b
    assert total == index["metadata"]["total_size"], (total, index["metadata"]["total_size"])
    assert set(out) == set(index["weight_map"]), "index and files disagree"
    return out


def debug_shapes():
    """Llama3 debugmodel (spec 4.1): D=256, L=6, Hq=Hkv=16, hd=16, V=2048, F=768."""
    D, L, V, F, H, KV, hd = 256, 6, 2048, 768, 16, 16, 16
    s = {"tok_embeddings.weight": [V, D], "norm.weight": [D], "output.weight": [V, D]}
    for i in range(L):
        p = "layers.%d." % i
        s[p + "attention.wq.weight"] = [H * hd, D]
        s[p + "attention.wk.weight"] = [KV * hd, D]
        s[p + "attention.wv.weight"] = [KV * hd, D]
        s[p + "attention.wo.weight"] = [D, H * hd]
        s[p + "feed_forward.w1.weight"] = [F, D]
        s[p + "feed_forward.w2.weight"] = [D, F]
        s[p + "feed_forward.w3.weight"] = [F, D]
        s[p + "attention_norm.weight"] = [D]
        s[p + "ffn_norm.weight"] = [D]
    return s


def check(d, report_path):
    r = json.load(open(report_path))
    tensors = load(d)
    want_dtype = {"float32": "F32", "bfloat16": "BF16"}[r["dtype"]]
    shapes = debug_shapes()
    fails = []
    if set(tensors) != set(shapes):
        fails.append("names: extra %s, missing %s" % (sorted(set(tensors) - set(shapes)), sorted(set(shapes) - set(tensors))))
    stats = {p["fqn"]: p for p in r["parameters"]}
    for name, (dtype, shape, a, _) in tensors.items():
        if shapes.get(name) != shape:
            fails.append("%s: shape %s, spec %s" % (name, shape, shapes.get(name)))
        if dtype != want_dtype:
            fails.append("%s: dtype %s, run %s" % (name, dtype, want_dtype))
        p = stats[name]
        x = a.astype(np.float64)
        for key, v in (("mean", x.mean()), ("std", x.std()), ("min", x.min()), ("max", x.max())):
            ref = p[key]
            if abs(v - ref) > 1e-9 * max(1.0, abs(ref)):
                fails.append("%s: %s %.12g in the file, %.12g in the report" % (name, key, v, ref))
    for f in fails:
        print("FAIL:", f)
    print("%s: %d tensors checked against the spec's shapes and the report's statistics, %d failures"
          % (d, len(tensors), len(fails)))
    return 1 if fails else 0


def to_hf_rows(w, heads):
    """torchtitan's to_hf permutation, written with numpy."""
    rows, cols = w.shape
    return w.reshape(heads, rows // heads // 2, 2, cols).transpose(0, 2, 1, 3).reshape(rows, cols)


def hf(titan_dir, hf_dir):
    t, h = load(titan_dir), load(hf_dir)
    cfg = json.load(open(os.path.join(hf_dir, "config.json")))
    fails = []
    for k in ["architectures", "hidden_size", "intermediate_size", "num_attention_heads", "num_key_value_heads",
              "num_hidden_layers", "vocab_size", "rms_norm_eps", "rope_theta", "rope_scaling",
              "max_position_embeddings", "tie_word_embeddings", "torch_dtype", "head_dim", "hidden_act", "model_type"]:
        if k not in cfg:
            fails.append("config.json: no " + k)
    expect = {"architectures": ["LlamaForCausalLM"], "hidden_size": 256, "intermediate_size": 768,
              "num_attention_heads": 16, "num_key_value_heads": 16, "num_hidden_layers": 6, "vocab_size": 2048,
              "head_dim": 16, "hidden_act": "silu", "model_type": "llama", "tie_word_embeddings": False,
              "rope_theta": 500000.0, "rms_norm_eps": 1e-5}
    for k, v in expect.items():
        if cfg.get(k) != v:
            fails.append("config.json: %s = %r, expected %r" % (k, cfg.get(k), v))
    rs = cfg.get("rope_scaling") or {}
    if rs.get("rope_type") != "llama3" or rs.get("factor") != 8.0 or rs.get("original_max_position_embeddings") != 8192:
        fails.append("config.json: rope_scaling %r" % rs)
    heads, kv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    names = {"tok_embeddings.weight": "model.embed_tokens.weight", "norm.weight": "model.norm.weight",
             "output.weight": "lm_head.weight"}
    sub = {"attention.wq.weight": "self_attn.q_proj.weight", "attention.wk.weight": "self_attn.k_proj.weight",
           "attention.wv.weight": "self_attn.v_proj.weight", "attention.wo.weight": "self_attn.o_proj.weight",
           "feed_forward.w1.weight": "mlp.gate_proj.weight", "feed_forward.w2.weight": "mlp.down_proj.weight",
           "feed_forward.w3.weight": "mlp.up_proj.weight", "attention_norm.weight": "input_layernorm.weight",
           "ffn_norm.weight": "post_attention_layernorm.weight"}
    for i in range(cfg["num_hidden_layers"]):
        for a, b in sub.items():
            names["layers.%d.%s" % (i, a)] = "model.layers.%d.%s" % (i, b)
    if set(h) != set(names.values()):
        fails.append("HF names: extra %s, missing %s" % (sorted(set(h) - set(names.values())),
                                                         sorted(set(names.values()) - set(h))))
    permuted = 0
    for tn, hn in names.items():
        w = t[tn][2]
        if tn.endswith("attention.wq.weight"):
            w, permuted = to_hf_rows(w, heads), permuted + 1
        elif tn.endswith("attention.wk.weight"):
            w, permuted = to_hf_rows(w, kv), permuted + 1
        if hn not in h or h[hn][1] != list(w.shape) or h[hn][2].tobytes() != np.ascontiguousarray(w).tobytes():
            fails.append("%s: not %s (permuted where q/k)" % (hn, tn))
    # The permutation is not the identity, so the test can tell.
    if np.array_equal(to_hf_rows(t["layers.0.attention.wq.weight"][2], heads), t["layers.0.attention.wq.weight"][2]):
        fails.append("the q permutation is the identity on this data")
    for f in fails:
        print("FAIL:", f)
    print("%s vs %s: %d tensors compared (%d permuted), config.json checked, %d failures"
          % (hf_dir, titan_dir, len(names), permuted, len(fails)))
    return 1 if fails else 0


if __name__ == "__main__":
    cmd = sys.argv[1]
    sys.exit(check(sys.argv[2], sys.argv[3]) if cmd == "check" else hf(sys.argv[2], sys.argv[3]))
