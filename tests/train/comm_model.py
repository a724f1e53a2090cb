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

Expert parallelism: a tensor sharded over ep (the routed experts) is
gathered and reduce-scattered over its other shard dimensions only (each ep
rank its own experts' block of dim 0); the MoE's token dispatch (all_to_all)
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


# Uses per step (docs/parallelism.md): the embedding gathered in the forward
# only, the output head and every block and norm tensor in the forward and
# again in the backward; every use's gradient reduced once. A tied tensor
# (its aliases: the embedding and the output head) has a use per name.
uses = []
for p in plan["parameters"]:
    for name in [p["fqn"]] + (p.get("aliases") or []):
        uses.append((p, 1 if name == "tok_embeddings.weight" else 2))

kinds = ("all_gather", "reduce_scatter", "all_reduce", "all_to_all")


def model(training):
    expected = dict.fromkeys(kinds, 0)
    for r in range(world):
        c = coords(r)
        b = dict.fromkeys(kinds, 0)
        for p, gathers in uses:
            pl = p["placements"]
            shard = math.prod(sizes[m] for m in sizes if pl[m] != "Replicate")
            gather = math.prod(sizes[m] for m in sizes if pl[m] != "Replicate" and m != "ep")
            box = box_numel(p["shape"], pl, c)
            block = box_numel(p["shape"], pl, c, ("ep",))  # what a gather yields: the ep block (all when ep = 1)
            reductions = 1 if training else 0
            if gather > 1:
                b["all_gather"] += 4 * (gathers if training else 1) * box
                b["reduce_scatter"] += 4 * reductions * block
            if world // shard > 1:
                b["all_reduce"] += 4 * reductions * box
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
    expected = model(training)
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
    if world > 1 and sum(expected.values()) == 0:
        print("a multi-rank mesh without communication: the case tests nothing")
        ok = False
    if ep > 1 and widths and expected["all_to_all"] == 0:
        print("expert parallelism without a token dispatch: the case tests nothing")
        ok = False
sys.exit(0 if ok else 1)
