#!/usr/bin/env python3
"""Independent checks of titan_app's Hugging Face checkpoints (numpy only; no
code shared with titan_app).

  hf_reference.py names FAMILY HF_DIR [LAYERS]
      The HF checkpoint holds exactly the tensors the HF architecture names,
      with its shapes and dtype, for the family's debug flavor; the lists are
      written out below from the HF architectures' parameter names
      (LlamaForCausalLM, Qwen3ForCausalLM, Qwen3MoeForCausalLM, the text model
      of Llama4ForConditionalGeneration, DeepseekV3ForCausalLM,
      GptOssForCausalLM, diffusers' FluxTransformer2DModel) and the debug
      flavors' sizes (spec), not from titan_app's adapter.
  hf_reference.py values FAMILY TITAN_DIR HF_DIR
      Every HF tensor equals the titan-named checkpoint's tensors transformed
      as the HF architecture stores them (renames, q/k rows, per-expert
      tensors, transposes, fused gate/up, split qkv, swapped halves), written
      here with numpy.
  hf_reference.py quantize FAMILY HF_DIR OUT_QUANT OUT_REF
      From a float32 HF checkpoint: OUT_QUANT stores it as the published
      checkpoints do (DeepSeek-V3: FP8 E4M3 linear weights with a float32
      weight_scale_inv per 128x128 block, the router in BF16, the norms in
      F16, a non-zero e_score_correction_bias; gpt-oss: MXFP4 experts as
      *_blocks/*_scales, the rest BF16); OUT_REF holds the values those
      encodings decode to (computed here) as a plain float32 HF checkpoint.
  hf_reference.py drop SRC DST SUFFIX
      A copy of SRC without the tensors whose names end in SUFFIX.
  hf_reference.py same HF_DIR_A HF_DIR_B
      The two checkpoints hold the same tensors with bit-identical values.
"""
import json
import os
import re
import struct
import sys

import numpy as np

# ---- reading and writing safetensors (the format, from its specification) ----


def f16_bits_to_f32(u):
    return u.view(np.float16).astype(np.float32)


def load(d):
    """{name: float32 array (decoded from F32/BF16/F16) or raw uint8 array} and {name: dtype}."""
    idx = None
    for stem in ("model", "diffusion_pytorch_model"):
        p = os.path.join(d, stem + ".safetensors.index.json")
        if os.path.exists(p):
            idx = json.load(open(p))
            break
    assert idx is not None, "%s: no index" % d
    out, dtypes = {}, {}
    for f in sorted(set(idx["weight_map"].values())):
        raw = open(os.path.join(d, f), "rb").read()
        (n,) = struct.unpack("<Q", raw[:8])
        header = json.loads(raw[8:8 + n])
        header.pop("__metadata__", None)
        data = raw[8 + n:]
        for name, t in header.items():
            b, e = t["data_offsets"]
            buf = np.frombuffer(data[b:e], dtype=np.uint8)
            dt = t["dtype"]
            if dt == "F32":
                a = buf.view("<f4")
            elif dt == "BF16":
                a = (buf.view("<u2").astype(np.uint32) << 16).view(np.float32)
            elif dt == "F16":
                a = f16_bits_to_f32(buf.view("<u2"))
            else:
                a = buf.copy()
            out[name] = a.reshape(t["shape"])
            dtypes[name] = dt
            assert idx["weight_map"][name] == f, name
    assert set(out) == set(idx["weight_map"]), "index and files disagree"
    return out, dtypes


def save(d, tensors, stem="model"):
    """tensors: {name: (dtype string, shape, raw bytes)} -> one file + index."""
    os.makedirs(d, exist_ok=True)
    header, data, off = {}, b"", 0
    for name in sorted(tensors):
        dt, shape, raw = tensors[name]
        header[name] = {"dtype": dt, "shape": list(shape), "data_offsets": [off, off + len(raw)]}
        data += raw
        off += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    fname = stem + "-00001-of-00001.safetensors"
    with open(os.path.join(d, fname), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)
    index = {"metadata": {"total_size": off}, "weight_map": {n: fname for n in tensors}}
    json.dump(index, open(os.path.join(d, stem + ".safetensors.index.json"), "w"), indent=2)


def bf16_round(a):
    """float32 -> bfloat16 bits, round to nearest even."""
    u = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


# ---- the HF architectures' names for the debug flavors ----------------------


def expected(family, layers=None):
    """{name: shape} of the family's debug flavor, as the HF architecture names its tensors
    (`layers`: the deck's model.n_layers, or Flux's depth = depth_single_blocks, when
    the test shortens the flavor; the per-layer names and shapes stay the flavor's)."""
    s = {}
    L = lambda n: range(layers if layers is not None else n)
    if family in ("llama3", "qwen3", "qwen3_moe", "deepseek_v3", "gpt_oss"):
        s["model.embed_tokens.weight"] = [2048, 256]
        s["model.norm.weight"] = [256]
    if family == "llama3":  # LlamaForCausalLM; debugmodel D 256, 6 layers, 16 heads of 16, F 768
        s["lm_head.weight"] = [2048, 256]
        for i in L(6):
            p = "model.layers.%d." % i
            for n in ("q", "k", "v", "o"):
                s[p + "self_attn.%s_proj.weight" % n] = [256, 256]
            s[p + "mlp.gate_proj.weight"] = [768, 256]
            s[p + "mlp.up_proj.weight"] = [768, 256]
            s[p + "mlp.down_proj.weight"] = [256, 768]
            s[p + "input_layernorm.weight"] = [256]
            s[p + "post_attention_layernorm.weight"] = [256]
    if family in ("qwen3", "qwen3_moe"):  # Qwen3(Moe)ForCausalLM; D 256, 8 layers, 16 q / 8 kv heads of 128
        if family == "qwen3_moe":
            s["lm_head.weight"] = [2048, 256]  # debugmodel_moe is untied; debugmodel ties (no lm_head)
        for i in L(8):
            p = "model.layers.%d." % i
            s[p + "self_attn.q_proj.weight"] = [2048, 256]
            s[p + "self_attn.k_proj.weight"] = [1024, 256]
            s[p + "self_attn.v_proj.weight"] = [1024, 256]
            s[p + "self_attn.o_proj.weight"] = [256, 2048]
            s[p + "self_attn.q_norm.weight"] = [128]
            s[p + "self_attn.k_norm.weight"] = [128]
            s[p + "input_layernorm.weight"] = [256]
            s[p + "post_attention_layernorm.weight"] = [256]
            if family == "qwen3":  # dense F 3072
                s[p + "mlp.gate_proj.weight"] = [3072, 256]
                s[p + "mlp.up_proj.weight"] = [3072, 256]
                s[p + "mlp.down_proj.weight"] = [256, 3072]
            else:  # 64 experts of Fm 768, one tensor per expert
                s[p + "mlp.gate.weight"] = [64, 256]
                for e in range(64):
                    s[p + "mlp.experts.%d.gate_proj.weight" % e] = [768, 256]
                    s[p + "mlp.experts.%d.up_proj.weight" % e] = [768, 256]
                    s[p + "mlp.experts.%d.down_proj.weight" % e] = [256, 768]
    if family == "llama4":  # Llama4ForConditionalGeneration's text model; D 256, 6 layers, MoE on 1, 3, 5
        s["language_model.model.embed_tokens.weight"] = [2048, 256]
        s["language_model.model.norm.weight"] = [256]
        s["language_model.lm_head.weight"] = [2048, 256]
        for i in L(6):
            p = "language_model.model.layers.%d." % i
            for n in ("q", "k", "v", "o"):
                s[p + "self_attn.%s_proj.weight" % n] = [256, 256]
            s[p + "input_layernorm.weight"] = [256]
            s[p + "post_attention_layernorm.weight"] = [256]
            if i % 2 == 1:  # 8 experts of Fm 512, one shared expert
                s[p + "feed_forward.router.weight"] = [8, 256]
                s[p + "feed_forward.experts.gate_up_proj"] = [8, 256, 1024]
                s[p + "feed_forward.experts.down_proj"] = [8, 512, 256]
                s[p + "feed_forward.shared_expert.gate_proj.weight"] = [512, 256]
                s[p + "feed_forward.shared_expert.up_proj.weight"] = [512, 256]
                s[p + "feed_forward.shared_expert.down_proj.weight"] = [256, 512]
            else:  # dense F 768 (Llama4TextMLP)
                s[p + "feed_forward.gate_proj.weight"] = [768, 256]
                s[p + "feed_forward.up_proj.weight"] = [768, 256]
                s[p + "feed_forward.down_proj.weight"] = [256, 768]
    if family == "deepseek_v3":  # DeepseekV3ForCausalLM; D 256, 6 layers (0 dense), 16 heads, no q LoRA
        s["lm_head.weight"] = [2048, 256]
        for i in L(6):
            p = "model.layers.%d." % i
            s[p + "self_attn.q_proj.weight"] = [16 * 192, 256]
            s[p + "self_attn.kv_a_proj_with_mqa.weight"] = [512 + 64, 256]
            s[p + "self_attn.kv_a_layernorm.weight"] = [512]
            s[p + "self_attn.kv_b_proj.weight"] = [16 * (128 + 128), 512]
            s[p + "self_attn.o_proj.weight"] = [256, 16 * 128]
            s[p + "input_layernorm.weight"] = [256]
            s[p + "post_attention_layernorm.weight"] = [256]
            if i == 0:  # dense F 1024
                s[p + "mlp.gate_proj.weight"] = [1024, 256]
                s[p + "mlp.up_proj.weight"] = [1024, 256]
                s[p + "mlp.down_proj.weight"] = [256, 1024]
            else:  # 8 experts of Fm 256, 2 shared experts (one MLP of 512), the routing bias
                s[p + "mlp.gate.weight"] = [8, 256]
                s[p + "mlp.gate.e_score_correction_bias"] = [8]
                for e in range(8):
                    s[p + "mlp.experts.%d.gate_proj.weight" % e] = [256, 256]
                    s[p + "mlp.experts.%d.up_proj.weight" % e] = [256, 256]
                    s[p + "mlp.experts.%d.down_proj.weight" % e] = [256, 256]
                s[p + "mlp.shared_experts.gate_proj.weight"] = [512, 256]
                s[p + "mlp.shared_experts.up_proj.weight"] = [512, 256]
                s[p + "mlp.shared_experts.down_proj.weight"] = [256, 512]
    if family == "gpt_oss":  # GptOssForCausalLM; D 256, 4 layers, 64 q / 8 kv heads of 64, 8 experts of 2880
        s["lm_head.weight"] = [2048, 256]
        for i in L(4):
            p = "model.layers.%d." % i
            s[p + "self_attn.q_proj.weight"] = [4096, 256]
            s[p + "self_attn.q_proj.bias"] = [4096]
            s[p + "self_attn.k_proj.weight"] = [512, 256]
            s[p + "self_attn.k_proj.bias"] = [512]
            s[p + "self_attn.v_proj.weight"] = [512, 256]
            s[p + "self_attn.v_proj.bias"] = [512]
            s[p + "self_attn.o_proj.weight"] = [256, 4096]
            s[p + "self_attn.o_proj.bias"] = [256]
            s[p + "self_attn.sinks"] = [64]
            s[p + "input_layernorm.weight"] = [256]
            s[p + "post_attention_layernorm.weight"] = [256]
            s[p + "mlp.router.weight"] = [8, 256]
            s[p + "mlp.router.bias"] = [8]
            s[p + "mlp.experts.gate_up_proj"] = [8, 256, 5760]
            s[p + "mlp.experts.gate_up_proj_bias"] = [8, 5760]
            s[p + "mlp.experts.down_proj"] = [8, 2880, 256]
            s[p + "mlp.experts.down_proj_bias"] = [8, 256]
    if family == "flux":  # diffusers FluxTransformer2DModel; flux-debug: H 1536, mlp 6144, 2 + 2 blocks
        H, M = 1536, 6144
        for n, o, i in (("x_embedder", H, 64), ("context_embedder", H, 4096), ("proj_out", 64, H),
                        ("time_text_embed.timestep_embedder.linear_1", H, 256),
                        ("time_text_embed.timestep_embedder.linear_2", H, H),
                        ("time_text_embed.text_embedder.linear_1", H, 768),
                        ("time_text_embed.text_embedder.linear_2", H, H), ("norm_out.linear", 2 * H, H)):
            s[n + ".weight"], s[n + ".bias"] = [o, i], [o]
        for b in L(2):
            p = "transformer_blocks.%d." % b
            for n, o, i in (("norm1.linear", 6 * H, H), ("norm1_context.linear", 6 * H, H),
                            ("attn.to_q", H, H), ("attn.to_k", H, H), ("attn.to_v", H, H),
                            ("attn.add_q_proj", H, H), ("attn.add_k_proj", H, H), ("attn.add_v_proj", H, H),
                            ("attn.to_out.0", H, H), ("attn.to_add_out", H, H),
                            ("ff.net.0.proj", M, H), ("ff.net.2", H, M),
                            ("ff_context.net.0.proj", M, H), ("ff_context.net.2", H, M)):
                s[p + n + ".weight"], s[p + n + ".bias"] = [o, i], [o]
            for n in ("norm_q", "norm_k", "norm_added_q", "norm_added_k"):
                s[p + "attn.%s.weight" % n] = [128]
            p = "single_transformer_blocks.%d." % b
            for n, o, i in (("norm.linear", 3 * H, H), ("attn.to_q", H, H), ("attn.to_k", H, H),
                            ("attn.to_v", H, H), ("proj_mlp", M, H), ("proj_out", H, H + M)):
                s[p + n + ".weight"], s[p + n + ".bias"] = [o, i], [o]
            for n in ("norm_q", "norm_k"):
                s[p + "attn.%s.weight" % n] = [128]
    return s


CONFIG_KEYS = {  # keys transformers' config of the architecture has (a subset each is checked for)
    "llama3": ("LlamaForCausalLM", "llama", ["num_attention_heads", "num_key_value_heads", "rope_scaling", "rms_norm_eps"]),
    "qwen3": ("Qwen3ForCausalLM", "qwen3", ["head_dim", "num_key_value_heads", "rope_theta", "tie_word_embeddings"]),
    "qwen3_moe": ("Qwen3MoeForCausalLM", "qwen3_moe", ["num_experts", "num_experts_per_tok", "moe_intermediate_size", "norm_topk_prob"]),
    "llama4": ("Llama4ForConditionalGeneration", "llama4", ["text_config"]),
    "deepseek_v3": ("DeepseekV3ForCausalLM", "deepseek_v3", ["kv_lora_rank", "q_lora_rank", "qk_rope_head_dim", "n_routed_experts", "first_k_dense_replace", "rope_scaling"]),
    "gpt_oss": ("GptOssForCausalLM", "gpt_oss", ["num_local_experts", "sliding_window", "layer_types", "rope_scaling", "swiglu_limit"]),
    "flux": ("FluxTransformer2DModel", None, ["attention_head_dim", "num_layers", "num_single_layers", "axes_dims_rope", "joint_attention_dim"]),
}


def check_names(family, d, layers=None):
    got, dtypes = load(d)
    want = expected(family, int(layers) if layers else None)
    fails = []
    for n in sorted(set(want) - set(got)):
        fails.append("missing %s" % n)
    for n in sorted(set(got) - set(want)):
        fails.append("unexpected %s" % n)
    for n in sorted(set(want) & set(got)):
        if list(got[n].shape) != want[n]:
            fails.append("%s: shape %s, HF's %s" % (n, list(got[n].shape), want[n]))
    cfg = json.load(open(os.path.join(d, "config.json")))
    arch, model_type, keys = CONFIG_KEYS[family]
    if family == "flux":
        if cfg.get("_class_name") != arch:
            fails.append("config.json: _class_name %s" % cfg.get("_class_name"))
    else:
        if cfg.get("architectures") != [arch] or cfg.get("model_type") != model_type:
            fails.append("config.json: %s / %s" % (cfg.get("architectures"), cfg.get("model_type")))
    for k in keys:
        if k not in cfg:
            fails.append("config.json has no %s" % k)
    for f in fails[:20]:
        print("FAIL:", f)
    print("%s: %d tensors against %s's published names and the debug shapes, config.json %s: %d failures"
          % (d, len(want), arch, model_type or arch, len(fails)))
    return not fails


# ---- titan -> HF values, written with numpy ---------------------------------


def rope_rows(w, heads):
    """torchtitan's Llama3 to_hf: w.view(heads, hd/2, 2, cols).transpose(1, 2).reshape(rows, cols)."""
    r, c = w.shape
    return w.reshape(heads, r // heads // 2, 2, c).transpose(0, 2, 1, 3).reshape(r, c)


def titan_to_hf(family, t):
    """The HF tensors from the titan-named tensors `t` ({fqn: array})."""
    hf = {}
    T = lambda a: np.swapaxes(a, -1, -2)
    pre = "language_model." if family == "llama4" else ""
    common = [("attention.wq.weight", "self_attn.q_proj.weight"), ("attention.wk.weight", "self_attn.k_proj.weight"),
              ("attention.wv.weight", "self_attn.v_proj.weight"), ("attention.wo.weight", "self_attn.o_proj.weight"),
              ("attention_norm.weight", "input_layernorm.weight"), ("ffn_norm.weight", "post_attention_layernorm.weight"),
              ("attention.q_norm.weight", "self_attn.q_norm.weight"), ("attention.k_norm.weight", "self_attn.k_norm.weight"),
              ("attention.wq.bias", "self_attn.q_proj.bias"), ("attention.wk.bias", "self_attn.k_proj.bias"),
              ("attention.wv.bias", "self_attn.v_proj.bias"), ("attention.wo.bias", "self_attn.o_proj.bias"),
              ("attention.sinks", "self_attn.sinks"),
              ("attention.wkv_a.weight", "self_attn.kv_a_proj_with_mqa.weight"),
              ("attention.kv_norm.weight", "self_attn.kv_a_layernorm.weight"),
              ("attention.wkv_b.weight", "self_attn.kv_b_proj.weight")]
    mlp = "feed_forward." if family == "llama4" else "mlp."
    dense = [("feed_forward.w1.weight", mlp + "gate_proj.weight"), ("feed_forward.w3.weight", mlp + "up_proj.weight"),
             ("feed_forward.w2.weight", mlp + "down_proj.weight")]
    shared = "feed_forward.shared_expert." if family == "llama4" else "mlp.shared_experts."
    shared = [("moe.shared_experts.w1.weight", shared + "gate_proj.weight"),
              ("moe.shared_experts.w3.weight", shared + "up_proj.weight"),
              ("moe.shared_experts.w2.weight", shared + "down_proj.weight")]
    router = {"llama4": "feed_forward.router.weight", "gpt_oss": "mlp.router.weight"}.get(family, "mlp.gate.weight")
    for fqn, a in t.items():
        if fqn == "tok_embeddings.weight":
            hf[pre + "model.embed_tokens.weight"] = a
        elif fqn == "output.weight":
            hf[pre + ("model.embed_tokens.weight" if family == "qwen3" else "lm_head.weight")] = a  # qwen3 debug: tied
        elif fqn == "norm.weight":
            hf[pre + "model.norm.weight"] = a
        m = re.match(r"layers\.(\d+)\.(.*)$", fqn)
        if not m:
            continue
        i, rest = m.groups()
        p = pre + "model.layers.%s." % i
        for a_, b_ in common + dense + shared + [("moe.router.gate.weight", router),
                                                ("moe.router.gate.bias", "mlp.router.bias"),
                                                ("moe.experts.mlp1_bias", "mlp.experts.gate_up_proj_bias"),
                                                ("moe.experts.mlp2_bias", "mlp.experts.down_proj_bias")]:
            if rest == a_:
                v = a
                if family == "llama3" and rest == "attention.wq.weight":
                    v = rope_rows(a, 16)
                if family == "llama3" and rest == "attention.wk.weight":
                    v = rope_rows(a, 16)
                hf[p + b_] = v
        if rest in ("moe.experts.w1", "moe.experts.w2", "moe.experts.w3"):
            proj = {"w1": "gate_proj", "w2": "down_proj", "w3": "up_proj"}[rest[-2:]]
            if family == "llama4":  # gate_up_proj = [w1^T | w3^T], down_proj = w2^T
                if rest == "moe.experts.w2":
                    hf[p + "feed_forward.experts.down_proj"] = T(a)
                elif rest == "moe.experts.w1":
                    hf[p + "feed_forward.experts.gate_up_proj"] = np.concatenate(
                        [T(a), T(t["layers.%s.moe.experts.w3" % i])], axis=-1)
            else:
                for e in range(a.shape[0]):
                    hf[p + "mlp.experts.%d.%s.weight" % (e, proj)] = a[e]
        if rest == "moe.experts.mlp1_weight":
            hf[p + "mlp.experts.gate_up_proj"] = T(a)
        if rest == "moe.experts.mlp2_weight":
            hf[p + "mlp.experts.down_proj"] = T(a)
        if rest == "moe.experts.w1" and family == "deepseek_v3":
            hf[p + "mlp.gate.e_score_correction_bias"] = np.zeros(a.shape[0], np.float32)  # the buffer: zeros at init
    if family == "flux":
        H = 1536
        direct = {"img_in": "x_embedder", "txt_in": "context_embedder", "final_layer.linear": "proj_out",
                  "time_in.in_layer": "time_text_embed.timestep_embedder.linear_1",
                  "time_in.out_layer": "time_text_embed.timestep_embedder.linear_2",
                  "vector_in.in_layer": "time_text_embed.text_embedder.linear_1",
                  "vector_in.out_layer": "time_text_embed.text_embedder.linear_2"}
        dbl = {"img_mod.lin": "norm1.linear", "txt_mod.lin": "norm1_context.linear", "img_attn.proj": "attn.to_out.0",
               "txt_attn.proj": "attn.to_add_out", "img_mlp.0": "ff.net.0.proj", "img_mlp.2": "ff.net.2",
               "txt_mlp.0": "ff_context.net.0.proj", "txt_mlp.2": "ff_context.net.2",
               "img_attn.norm.query_norm": "attn.norm_q", "img_attn.norm.key_norm": "attn.norm_k",
               "txt_attn.norm.query_norm": "attn.norm_added_q", "txt_attn.norm.key_norm": "attn.norm_added_k"}
        sgl = {"modulation.lin": "norm.linear", "linear2": "proj_out", "norm.query_norm": "attn.norm_q",
               "norm.key_norm": "attn.norm_k"}
        for fqn, a in t.items():
            base, what = fqn.rsplit(".", 1)
            if base in direct:
                hf[direct[base] + "." + what] = a
            elif base == "final_layer.adaLN_modulation.1":  # (shift, scale) -> (scale, shift)
                hf["norm_out.linear." + what] = np.concatenate([a[H:], a[:H]])
            m = re.match(r"double_blocks\.(\d+)\.(.*)$", base)
            if m:
                b, k = m.groups()
                p = "transformer_blocks.%s." % b
                if k in dbl:
                    hf[p + dbl[k] + "." + what] = a
                elif k in ("img_attn.qkv", "txt_attn.qkv"):
                    names = ("to_q", "to_k", "to_v") if k == "img_attn.qkv" else ("add_q_proj", "add_k_proj", "add_v_proj")
                    for j, n in enumerate(names):
                        hf[p + "attn." + n + "." + what] = a[j * H:(j + 1) * H]
            m = re.match(r"single_blocks\.(\d+)\.(.*)$", base)
            if m:
                b, k = m.groups()
                p = "single_transformer_blocks.%s." % b
                if k in sgl:
                    hf[p + sgl[k] + "." + what] = a
                elif k == "linear1":
                    for j, n in enumerate(("attn.to_q", "attn.to_k", "attn.to_v")):
                        hf[p + n + "." + what] = a[j * H:(j + 1) * H]
                    hf[p + "proj_mlp." + what] = a[3 * H:]
    return hf


def check_values(family, titan_dir, hf_dir):
    t, _ = load(titan_dir)
    got, _ = load(hf_dir)
    want = titan_to_hf(family, t)
    fails = [n for n in sorted(set(want) | set(got))
             if n not in got or n not in want or got[n].shape != want[n].shape
             or not np.array_equal(got[n].view(np.uint32), np.ascontiguousarray(want[n]).view(np.uint32))]
    for f in fails[:20]:
        print("FAIL: %s differs from the titan tensors it stores" % f)
    print("%s vs %s: %d HF tensors equal the titan tensors as the HF architecture stores them, %d failures"
          % (hf_dir, titan_dir, len(want), len(fails)))
    return not fails


# ---- quantized storage, encoded and decoded here -----------------------------


def fp8_e4m3_table():
    """The 256 values of OCP FP8 E4M3 (e4m3fn): bias 7, no infinities, 0x7F/0xFF NaN."""
    v = np.zeros(256, np.float64)
    for b in range(256):
        s, e, m = b >> 7, (b >> 3) & 15, b & 7
        x = m / 8 * 2.0 ** -6 if e == 0 else (1 + m / 8) * 2.0 ** (e - 7)
        v[b] = np.nan if (e == 15 and m == 7) else (-x if s else x)
    return v.astype(np.float32)


FP4 = np.array([0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0, -0.5, -1, -1.5, -2, -3, -4, -6], np.float32)


def fp8_quantize(w, rng):
    """[R, C] float32 -> (uint8 codes, float32 scale_inv [ceil(R/128), ceil(C/128)]), decoded value."""
    table = fp8_e4m3_table()
    finite = np.where(np.isnan(table), np.inf, table)
    order = np.argsort(finite)
    sorted_vals = finite[order]
    R, C = w.shape
    sr, sc = -(-R // 128), -(-C // 128)
    # Scales: powers of two and others, so that the product is a real rounding.
    scale = (rng.uniform(0.5, 2.0, (sr, sc)) * np.abs(w).max() / 448).astype(np.float32)
    full = np.repeat(np.repeat(scale, 128, 0), 128, 1)[:R, :C]
    x = w / full
    pos = np.clip(np.searchsorted(sorted_vals[:-2], x), 1, len(sorted_vals) - 3)  # finite codes only
    lo, hi = sorted_vals[pos - 1], sorted_vals[pos]
    codes = np.where(np.abs(x - lo) <= np.abs(hi - x), order[pos - 1], order[pos]).astype(np.uint8)
    decoded = (table[codes] * full).astype(np.float32)  # one float32 product, as torch does
    return codes, scale, decoded


def mxfp4_quantize(w, rng):
    """[..., C] float32 (C % 32 == 0) -> (blocks uint8 [..., C/32, 16], scales uint8 [..., C/32]), decoded."""
    lead, C = w.shape[:-1], w.shape[-1]
    g = w.reshape(*lead, C // 32, 32)
    amax = np.abs(g).max(axis=-1)
    exp = np.floor(np.log2(np.maximum(amax, 1e-30))).astype(np.int32) - 2  # amax/2^exp in [4, 8)
    exp = np.clip(exp + rng.integers(-1, 2, exp.shape), -126, 126)  # some blocks saturate, some lose bits
    scales = (exp + 127).astype(np.uint8)
    x = g / np.ldexp(np.float32(1), exp)[..., None]
    idx = np.abs(x[..., None] - FP4[:8][None]).argmin(axis=-1)  # magnitude code (ties: the smaller)
    codes = (idx + 8 * (x < 0)).astype(np.uint8)
    blocks = (codes[..., 0::2] | (codes[..., 1::2] << 4)).astype(np.uint8)  # element 2j low nibble, 2j+1 high
    decoded = (FP4[codes] * np.ldexp(np.float32(1), exp.astype(np.int32))[..., None]).astype(np.float32)
    return blocks, scales, decoded.reshape(w.shape)


def quantize(family, hf_dir, out_q, out_ref):
    t, _ = load(hf_dir)
    rng = np.random.default_rng(18)
    q, ref = {}, {}
    f32 = lambda a: ("F32", a.shape, np.ascontiguousarray(a, np.float32).tobytes())
    for n, a in sorted(t.items()):
        a = np.asarray(a, np.float32)
        if family == "deepseek_v3":
            if n.endswith("e_score_correction_bias"):  # a non-zero routing bias, F32 as published
                v = rng.normal(0, 0.1, a.shape).astype(np.float32)
                q[n], ref[n] = f32(v), f32(v)
            elif n.endswith("norm.weight") or n.endswith("layernorm.weight"):  # F16
                h = a.astype(np.float16)
                q[n], ref[n] = ("F16", a.shape, h.tobytes()), f32(h.astype(np.float32))
            elif n.endswith("mlp.gate.weight") or "embed_tokens" in n or n == "lm_head.weight":  # BF16
                b = bf16_round(a)
                q[n], ref[n] = ("BF16", a.shape, b.tobytes()), f32((b.astype(np.uint32) << 16).view(np.float32))
            else:  # every other linear weight: FP8 with 128x128 block scales
                codes, scale, dec = fp8_quantize(a, rng)
                q[n] = ("F8_E4M3", a.shape, codes.tobytes())
                q[n + "_scale_inv"] = f32(scale)
                ref[n] = f32(dec)
        elif family == "gpt_oss":
            m = re.match(r"(.*mlp\.experts\.(gate_up_proj|down_proj))$", n)
            if m:  # HF's [E, in, out] -> MXFP4 over the input dimension of [E, out, in]
                blocks, scales, dec = mxfp4_quantize(np.ascontiguousarray(np.swapaxes(a, 1, 2)), rng)
                q[n + "_blocks"] = ("U8", blocks.shape, blocks.tobytes())
                q[n + "_scales"] = ("U8", scales.shape, scales.tobytes())
                ref[n] = f32(np.swapaxes(dec, 1, 2))
            else:  # BF16, as published
                b = bf16_round(a)
                q[n], ref[n] = ("BF16", a.shape, b.tobytes()), f32((b.astype(np.uint32) << 16).view(np.float32))
    save(out_q, q)
    save(out_ref, ref)
    nq = sum(1 for v in q.values() if v[0] in ("F8_E4M3", "U8"))
    print("%s: %d tensors (%d quantized) written; %s: the decoded reference" % (out_q, len(q), nq, out_ref))
    return True


def drop(src, dst, suffix):
    """A copy of checkpoint `src` without the tensors whose names end in `suffix` (raw bytes kept)."""
    t, dtypes = load(src)
    raw = {}
    for n, a in t.items():
        if n.endswith(suffix):
            continue
        dt = dtypes[n]
        data = a.tobytes() if dt in ("F32", "U8", "F8_E4M3") else (
            bf16_round(a).tobytes() if dt == "BF16" else a.astype(np.float16).tobytes())
        raw[n] = (dt, a.shape, data)
    save(dst, raw)
    print("%s: %s without its *%s tensors" % (dst, src, suffix))
    return True


def same(a_dir, b_dir):
    a, _ = load(a_dir)
    b, _ = load(b_dir)
    fails = [n for n in sorted(set(a) | set(b)) if n not in a or n not in b or a[n].shape != b[n].shape
             or not np.array_equal(np.ascontiguousarray(a[n]).view(np.uint32), np.ascontiguousarray(b[n]).view(np.uint32))]
    for f in fails[:20]:
        print("FAIL: %s differs" % f)
    print("%s vs %s: %d tensors, %d differ" % (a_dir, b_dir, len(a), len(fails)))
    return not fails


if __name__ == "__main__":
    cmd = sys.argv[1]
    ok = {"names": lambda: check_names(*sys.argv[2:5]), "values": lambda: check_values(*sys.argv[2:5]),
          "quantize": lambda: quantize(*sys.argv[2:6]), "same": lambda: same(*sys.argv[2:4]),
          "drop": lambda: drop(*sys.argv[2:5])}[cmd]()
    sys.exit(0 if ok else 1)
