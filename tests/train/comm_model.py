#!/usr/bin/env python3
"""Issue 17: a training step's communication bytes against the analytic model.

Usage: comm_model.py PLAN_JSON RUN_JSON RANKS DP_SHARD EP TP [FORWARD_JSON]

PLAN_JSON is a --dry-run report (its parameter list: FQN, shape, placements),
RUN_JSON the report of one real training step on the same deck and mesh.
This script computes, independently of titan's code, each rank's boxes
(torch.chunk splits nested tp, then ep, then dp_shard, docs/sharding.md) and
the bytes docs/parallelism.md's model gives each rank per collective kind;
the report's measured bytes (max over ranks) and its own model must equal
them exactly. FORWARD_JSON, a forward pass's report on the same mesh, is
checked the same way (one gather per use, no reductions).

Tensor parallelism (tp > 1): an attention (wq, wk, wv, wo) or SwiGLU
feed-forward (w1, w2, w3) whose placements are the TP plan (column-parallel
weights and biases Shard(0) on tp, row-parallel weight Shard(1), its bias not
on tp, gpt-oss's sinks Shard(0)) and whose heads / hidden units divide by tp
is split: its parameters are gathered and reduce-scattered over their shard
group without tp (the reduce-scatter carries the rank's tp slice), and it
all-reduces one float32 [rows, dim] activation over tp in each forward and
each backward (rows: the rank's sequences x seq_len, the batch split over the
data-parallel ranks only). A vocabulary-parallel embedding / output head
(Shard(0) on tp, the vocabulary divisible by tp) is split the same way; the
embedding all-reduces its [rows, dim] output in the forward, the output head
its input gradient in the backward.

Expert parallelism: a tensor sharded over ep (the routed experts) is
gathered and reduce-scattered over its other shard dimensions only (each ep
rank its own experts' block of dim 0; a tp-split one over the others than
ep and tp: its tp slice of that block); the MoE's token dispatch (all_to_all)
is recomputed from the routing the run reports (train.moe.routed: per layer,
rank and expert, the rows the rank's tokens routed there): per pass a rank
sends its rows for other ep ranks' experts and sends back the rows its ep
peers routed to its experts, each row of the layer's width (the router's
gate [E, D]) in float32; a training step has two passes (forward, backward).
The forward pass's report carries no routing: its all_to_all must equal
titan's model and be > 0 when ep > 1 with routed experts.
"""
import json
import math
import sys
import tomllib

plan = json.load(open(sys.argv[1]))
run = json.load(open(sys.argv[2]))
world, dp, ep, tp = (int(a) for a in sys.argv[3:7])
assert dp * ep * tp == world, "the mesh does not match the rank count"
sizes = {"dp_shard": dp, "ep": ep, "tp": tp}


def coords(r):  # docs/input_deck.md: tp fastest, then ep, then dp_shard
    return {"tp": r % tp, "ep": (r // tp) % ep, "dp_shard": r // (tp * ep)}


def chunk(n, k, r):  # torch.chunk: chunks of ceil(n/k), the last ones short or empty
    c = -(-n // k)
    lo = min(r * c, n)
    return lo, min(lo + c, n) - lo


def box_numel(shape, placements, c, dims=("tp", "ep", "dp_shard")):
    extent = list(shape)
    for m in dims:
        p = placements[m]
        if p == "Replicate" or sizes[m] == 1:
            continue
        d = int(p[len("Shard("):-1])
        extent[d] = chunk(extent[d], sizes[m], c[m])[1]
    return math.prod(extent)


deck = tomllib.loads(plan["resolved_deck"])["model"]
n_heads = deck.get("n_heads")
n_kv_heads = deck.get("n_kv_heads") or n_heads
by_fqn = {p["fqn"]: p for p in plan["parameters"]}


def tp_of(name):
    p = by_fqn.get(name)
    return None if p is None else p["placements"]["tp"]


def column(prefix):
    return tp_of(prefix + ".weight") == "Shard(0)" and tp_of(prefix + ".bias") in (None, "Shard(0)")


def row(prefix):
    return tp_of(prefix + ".weight") == "Shard(1)" and tp_of(prefix + ".bias") in (None, "Replicate")


split = set()  # FQNs of the tp-split parameters
forward_sums, backward_sums = [], []  # widths of the [rows, width] activations all-reduced per forward / backward
if tp > 1:
    for name in by_fqn:
        if name.endswith(".wq.weight"):
            a = name[:-len(".wq.weight")]
            if (all(a + ".%s.weight" % w in by_fqn for w in ("wk", "wv", "wo")) and n_heads % tp == 0
                    and n_kv_heads % tp == 0 and column(a + ".wq") and column(a + ".wk") and column(a + ".wv")
                    and row(a + ".wo") and tp_of(a + ".sinks") in (None, "Shard(0)")):
                for w in ("wq", "wk", "wv", "wo"):
                    split.add(a + ".%s.weight" % w)
                    if tp_of(a + ".%s.bias" % w) == "Shard(0)":
                        split.add(a + ".%s.bias" % w)
                if a + ".sinks" in by_fqn:
                    split.add(a + ".sinks")
                forward_sums.append(by_fqn[a + ".wo.weight"]["shape"][0])
                backward_sums.append(by_fqn[a + ".wq.weight"]["shape"][1])
        if name.endswith(".w1.weight"):
            f = name[:-len(".w1.weight")]
            if (f + ".w2.weight" in by_fqn and f + ".w3.weight" in by_fqn
                    and by_fqn[name]["shape"][0] % tp == 0 and column(f + ".w1") and column(f + ".w3") and row(f + ".w2")):
                split.update(f + ".%s.weight" % w for w in ("w1", "w2", "w3"))
                forward_sums.append(by_fqn[f + ".w2.weight"]["shape"][0])
                backward_sums.append(by_fqn[name]["shape"][1])
        if name.endswith(".wkv_b.weight"):  # MLA: wq (or wq_b) and wkv_b by heads, wo row-parallel
            a = name[:-len(".wkv_b.weight")]
            q = a + (".wq" if a + ".wq.weight" in by_fqn else ".wq_b")
            if n_heads % tp == 0 and column(q) and column(a + ".wkv_b") and row(a + ".wo"):
                split.update((q + ".weight", name, a + ".wo.weight"))
                kv_lora = by_fqn[name]["shape"][1]
                forward_sums.append(by_fqn[a + ".wo.weight"]["shape"][0])
                # the compressed kv's, k_pe's and x's (direct wq) or the low-rank q's gradients
                backward_sums += [kv_lora, by_fqn[a + ".wkv_a.weight"]["shape"][0] - kv_lora, by_fqn[q + ".weight"]["shape"][1]]


vocab_parallel = {}  # "embedding" / "output": split (vocabulary-parallel)
vocab = deck["vocab_size"]
dim = by_fqn["norm.weight"]["shape"][0]
if tp > 1:
    for name in by_fqn:
        p = by_fqn[name]
        for role, fqn in (("embedding", "tok_embeddings.weight"), ("output", "output.weight")):
            if fqn in [name] + (p.get("aliases") or []) and p["placements"]["tp"] == "Shard(0)" and vocab % tp == 0:
                vocab_parallel[role] = True
                split.add(name)


# Uses per step (docs/parallelism.md): the embedding gathered in the forward
# only, the output head and every block and norm tensor in the forward and
# again in the backward; every use's gradient reduced once. A tied tensor
# (its aliases: the embedding and the output head) has a use per name.
uses = []
for p in plan["parameters"]:
    for name in [p["fqn"]] + (p.get("aliases") or []):
        uses.append((p, 1 if name == "tok_embeddings.weight" else 2))

kinds = ("all_gather", "reduce_scatter", "all_reduce", "all_to_all")


def model(training, report):
    expected = dict.fromkeys(kinds, 0)
    batch, seq_len = report["batch"], report["seq_len"]
    checkpointing = training and report.get("activation_checkpointing") == "full"
    for r in range(world):
        c = coords(r)
        b = dict.fromkeys(kinds, 0)
        for p, gathers in uses:
            pl = p["placements"]
            is_split = p["fqn"] in split
            shard = math.prod(sizes[m] for m in sizes if pl[m] != "Replicate")
            # The dimensions a gather and reduce-scatter keep out of the group:
            # ep (each ep rank its own experts' block of dim 0) and, for a
            # tp-split parameter, tp (the rank's tp slice).
            keep = ("ep", "tp") if is_split else ("ep",)
            group = math.prod(sizes[m] for m in sizes if pl[m] != "Replicate" and m not in keep)
            box = box_numel(p["shape"], pl, c)
            region = box_numel(p["shape"], pl, c, keep)  # what a gather yields: all of p, its ep block, its tp slice
            reductions = 1 if training else 0
            if group > 1:
                b["all_gather"] += 4 * (gathers if training else 1) * box
                b["reduce_scatter"] += 4 * reductions * region
            if world // shard > 1:
                b["all_reduce"] += 4 * reductions * box
        # The batch over the data-parallel ranks (tp fastest: r // tp is the data-parallel index).
        rows = chunk(batch, world // tp, r // tp)[1] * seq_len
        forwards, backwards = (2 if checkpointing else 1), (1 if training else 0)
        b["all_reduce"] += 4 * rows * (forwards * sum(forward_sums) + backwards * sum(backward_sums))
        b["all_reduce"] += 4 * rows * dim * (int("embedding" in vocab_parallel) + int(training and "output" in vocab_parallel))
        if training:
            b["all_to_all"] = 2 * dispatch_bytes(r, c)
        for k in kinds:
            expected[k] = max(expected[k], b[k])
    return expected


# The MoE layers' widths, in layer order: the router gates' [E, D].
widths = [p["shape"][1] for p in plan["parameters"] if p["fqn"].endswith("router.gate.weight")]


def dispatch_bytes(r, c):  # one pass's dispatch and return, rank r
    if ep == 1 or not widths:
        return 0
    routed = run["train"]["moe"]["routed"]
    assert len(routed) == len(widths), "the report's MoE layers do not match the plan's"
    group = [s for s in range(world) if coords(s)["dp_shard"] == c["dp_shard"] and coords(s)["tp"] == c["tp"]]
    total = 0
    for layer, width in zip(routed, widths):
        E = len(layer[r])
        lo = chunk(E, ep, c["ep"])[0]
        hi = lo + chunk(E, ep, c["ep"])[1]
        rows = sum(n for e, n in enumerate(layer[r]) if not lo <= e < hi)  # to other ranks' experts
        rows += sum(layer[s][e] for s in group if s != r for e in range(lo, hi))  # computed here, sent back
        total += 4 * width * rows
    return total


ok = True
for what, report, training in [("training step", run["train"], True)] + (
        [("forward pass", json.load(open(sys.argv[7]))["forward"], False)] if len(sys.argv) > 7 else []):
    expected = model(training, report)
    if not training:  # no routing in a forward report: titan's model, and traffic when experts are split
        got, mod = report["comm"]["all_to_all"]["bytes"], report["comm"]["all_to_all"]["model_bytes"]
        if (got > 0) != (ep > 1 and bool(widths)):
            print(f"{what}: all_to_all {got:.0f} bytes, but ep = {ep} and {len(widths)} MoE layers")
            ok = False
        expected["all_to_all"] = mod  # checked against the measured bytes below
    for k in kinds:
        got, mod = report["comm"][k]["bytes"], report["comm"][k]["model_bytes"]
        print(f"{what}, {k}: measured {got:.0f}, titan's model {mod:.0f}, this script {expected[k]}")
        if got != expected[k] or mod != expected[k]:
            ok = False
    # (pure tp needs no gathers: every parameter is split or replicated)
    if world > 1 and sum(expected.values()) == 0:
        print("a multi-rank mesh without communication: the case tests nothing")
        ok = False
    if ep > 1 and widths and expected["all_to_all"] == 0:
        print("expert parallelism without a token dispatch: the case tests nothing")
        ok = False
    if tp > 1 and not forward_sums:
        print("tp > 1 without a tp-split module: the case tests no tensor-parallel compute")
        ok = False
sys.exit(0 if ok else 1)
