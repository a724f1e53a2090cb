#!/usr/bin/env python3
"""Compares two titan_app JSON reports of the same deck (e.g. two builds):
model and per-parameter fingerprints and min/max must be identical, buffers'
fingerprints identical, and mean and std within a relative tolerance (the
sums behind them may be accumulated in a different order).

    python3 bench/compare_reports.py OLD.json NEW.json [--rel 1e-12]

Prints the largest relative differences and exits 1 on any mismatch.
"""
import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--rel", type=float, default=1e-12)
    a = ap.parse_args()
    old, new = (json.load(open(p)) for p in (a.old, a.new))
    bad = []
    if old.get("fingerprint") != new.get("fingerprint"):
        bad.append("model fingerprint %s vs %s" % (old.get("fingerprint"), new.get("fingerprint")))
    ob = {b["fqn"]: b for b in old.get("buffers", [])}
    for b in new.get("buffers", []):
        o = ob.get(b["fqn"])
        if o is None or o.get("fingerprint") != b.get("fingerprint"):
            bad.append("buffer %s fingerprint %s vs %s" % (b["fqn"], o and o.get("fingerprint"), b.get("fingerprint")))
    if len(ob) != len(new.get("buffers", [])):
        bad.append("buffer count %d vs %d" % (len(ob), len(new.get("buffers", []))))
    op = {p["fqn"]: p for p in old["parameters"]}
    worst = {"mean": (0.0, ""), "std": (0.0, "")}
    for p in new["parameters"]:
        o = op.get(p["fqn"])
        if o is None:
            bad.append("parameter %s missing in %s" % (p["fqn"], a.old))
            continue
        for k in ("fingerprint", "min", "max"):
            if o.get(k) != p.get(k):
                bad.append("%s %s: %s vs %s" % (p["fqn"], k, o.get(k), p.get(k)))
        for k in ("mean", "std"):
            x, y = o.get(k), p.get(k)
            if x == y:
                continue
            rel = abs(x - y) / max(abs(x), 1e-300)
            if rel > worst[k][0]:
                worst[k] = (rel, p["fqn"])
            if rel > a.rel:
                bad.append("%s %s: %r vs %r (relative %.3g)" % (p["fqn"], k, x, y, rel))
    print("compared %d parameters, %d buffers; model fingerprint %s" % (len(new["parameters"]), len(ob),
                                                                       new.get("fingerprint")))
    for k, (rel, fqn) in worst.items():
        print("  largest relative difference of %-4s: %.3g (%s)" % (k, rel, fqn or "all identical"))
    for b in bad:
        print("  MISMATCH " + b)
    print("reports agree" if not bad else "reports differ: %d mismatches" % len(bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
