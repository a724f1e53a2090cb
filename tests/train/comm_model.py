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


def box_numel(shape, placements, c):
    extent = list(shape)
    for m in ("tp", "ep", "dp_shard"):
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
            box = box_numel(p["shape"], pl, c)
            reductions = 1 if training else 0
            if shard > 1:
                b["all_gather"] += 4 * (gathers if training else 1) * box
                b["reduce_scatter"] += 4 * reductions * math.prod(p["shape"])
            if world // shard > 1:
                b["all_reduce"] += 4 * reductions * box
        for k in kinds:
            expected[k] = max(expected[k], b[k])
    return expected


ok = True
for what, report, training in [("training step", run["train"], True)] + (
        [("forward pass", json.load(open(sys.argv[7]))["forward"], False)] if len(sys.argv) > 7 else []):
    expected = model(training)
    for k in kinds:
        got, mod = report["comm"][k]["bytes"], report["comm"][k]["model_bytes"]
        print(f"{what}, {k}: measured {got:.0f}, titan's model {mod:.0f}, this script {expected[k]}")
        if got != expected[k] or mod != expected[k]:
            ok = False
    if world > 1 and expected["all_gather"] == 0:
        print("a multi-rank mesh without gathers: the case tests nothing")
        ok = False
sys.exit(0 if ok else 1)
