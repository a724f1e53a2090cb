#!/usr/bin/env python3
"""Issue 17, item 4: the MoE load a training run reports, recomputed.

Usage: moe_load.py RUN_JSON [RUN_JSON...]

For each report of a training run of an MoE model (train.moe: per layer,
rank and expert the rows routed by the rank's tokens and the rows computed
by its experts, last step), independently of titan's dispatch code:
  * the tp ranks of one data-parallel coordinate share its sequences
    (docs/parallelism.md): they report the same routed rows, and the routed
    rows summed over the data-parallel ranks (tp rank 0 of each) are the
    step's tokens per expert (train.tokens_per_expert, which the
    mesh-invariance test compares with the 1-rank run's);
  * with expert parallelism the experts are split over the ep ranks in
    torch.chunk blocks (docs/sharding.md) and a rank computes, for each of
    its experts, the rows every rank of its ep group (same dp_shard and tp
    coordinates) routed there; without it, its own tokens' rows;
  * tokens_per_rank_max / _mean / imbalance are the max, mean and their
    ratio over the ranks of the computed rows summed over layers and experts;
    the last step's record carries the same max and mean.
"""
import json
import sys


def chunk(n, k, r):  # torch.chunk: chunks of ceil(n/k), the last ones short or empty
    c = -(-n // k)
    lo = min(r * c, n)
    return lo, min(lo + c, n)


def check(path):
    report = json.load(open(path))
    t, mesh = report["train"], report["mesh"]
    dp, ep, tp = mesh["dp_shard"], mesh["ep"], mesh["tp"]
    world = dp * ep * tp
    moe = t.get("moe")
    if moe is None:
        print(f"{path}: no train.moe (not an MoE model)")
        return False
    routed, computed = moe["routed"], moe["computed"]
    ok = True

    def coords(r):  # docs/input_deck.md: tp fastest, then ep, then dp_shard
        return r // (tp * ep), (r // tp) % ep, r % tp

    for l, (rl, cl) in enumerate(zip(routed, computed)):
        if len(rl) != world or len(cl) != world:
            print(f"layer {l}: {len(rl)} ranks reported, the mesh has {world}")
            return False
        E = len(rl[0])
        sums = [sum(rl[r][e] for r in range(world) if coords(r)[2] == 0) for e in range(E)]
        if sums != t["tokens_per_expert"][l]:
            print(f"layer {l}: routed rows summed over the data-parallel ranks {sums} != tokens per expert "
                  f"{t['tokens_per_expert'][l]}")
            ok = False
        for r in range(world):
            if rl[r] != rl[r - coords(r)[2]]:
                print(f"layer {l}, rank {r}: routed {rl[r]}, its tp rank 0 {rl[r - coords(r)[2]]} (same sequences)")
                ok = False
        for r in range(world):
            d, e_r, p = coords(r)
            group = [s for s in range(world) if coords(s)[0] == d and coords(s)[2] == p]
            lo, hi = chunk(E, ep, e_r) if ep > 1 else (0, E)
            want = [sum(rl[s][e] for s in group) if ep > 1 and lo <= e < hi else
                    (rl[r][e] if ep == 1 else 0) for e in range(E)]
            if cl[r] != want:
                print(f"layer {l}, rank {r}: computed {cl[r]}, expected {want}")
                ok = False
    per_rank = [sum(sum(computed[l][r]) for l in range(len(computed))) for r in range(world)]
    mx, mean = max(per_rank), sum(per_rank) / world
    got = (moe["tokens_per_rank_max"], moe["tokens_per_rank_mean"])
    last = t["steps"][-1]
    if got != (mx, mean) or (last["moe_tokens_per_rank_max"], last["moe_tokens_per_rank_mean"]) != (mx, mean):
        print(f"rows per rank {per_rank}: max {mx}, mean {mean}; reported {got}, last step "
              f"{(last['moe_tokens_per_rank_max'], last['moe_tokens_per_rank_mean'])}")
        ok = False
    if abs(moe["imbalance"] - mx / mean) > 1e-12 * mx / mean:
        print(f"imbalance {moe['imbalance']} != {mx / mean}")
        ok = False
    print(f"{path}: mesh dp_shard={dp} ep={ep} tp={tp}, rows computed per rank {per_rank} "
          f"(imbalance {mx / mean:.4f}): {'ok' if ok else 'FAIL'}")
    return ok


sys.exit(0 if all([check(p) for p in sys.argv[1:]]) else 1)
