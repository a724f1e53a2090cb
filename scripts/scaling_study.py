#!/usr/bin/env python3
"""Strong and weak scaling of titan_app's init_states.

Runs titan_app at each rank count, reads the JSON reports, writes a CSV and
PNG plots (time, throughput, parallel efficiency) and prints the efficiency
table.

  strong: the deck as it is (fixed model); E(n) = T(1) / (n T(n))
  weak:   n_layers = layers_per_rank * n (width fixed); E(n) = T(1) / T(n)

T is the slowest rank's best init_states time. Example (the figures in
docs/performance.md):

    python3 scripts/scaling_study.py --deck inputs/llama.toml --ranks 1 2 4 --layers-per-rank 8

Rank counts above the core count are oversubscribed (--oversubscribe), so
their efficiency shows the machine, not the code.
"""
import argparse
import csv
import json
import os
import subprocess
import sys


def run(args, ranks, extra, tag):
    report = os.path.join(args.out_dir, "%s_np%d.json" % (tag, ranks))
    cmd = [args.mpiexec, "-n", str(ranks), "--oversubscribe", args.app, "--quiet", args.deck,
           "--report-json", report, "--set", "run.repeat=%d" % args.repeat] + extra
    print("[scaling] " + " ".join(cmd), flush=True)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    if os.geteuid() == 0:
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    with open(report) as f:
        r = json.load(f)
    init = r["phases"]["init_states"]
    return {
        "ranks": ranks,
        "params": r["params"]["total"],
        "params_max_per_rank": r["params"]["max_per_rank"],
        "init_max_s": init["max_s"],
        "init_avg_s": init["avg_s"],
        "params_per_s": r["throughput"]["init_params_per_s"],
        "GBps": r["throughput"]["init_GBps"],
        "peak_rss_max_GiB": r.get("memory", {}).get("peak_rss_max_per_rank", 0) / 2**30,
        "fingerprint": r["fingerprint"],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--app", default="build/titan_app")
    ap.add_argument("--mpiexec", default="mpirun")
    ap.add_argument("--deck", default="inputs/llama.toml")
    ap.add_argument("--ranks", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--layers-per-rank", type=int, default=8)
    ap.add_argument("--modes", nargs="+", default=["strong", "weak"], choices=["strong", "weak"])
    ap.add_argument("--out-dir", default="build/scaling")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run.repeat: >1 adds a warm-up pass, so the first touch of fresh pages is not timed")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)

    rows = []
    for mode in args.modes:
        base = None
        for n in args.ranks:
            extra = [] if mode == "strong" else ["--set", "model.n_layers=%d" % (args.layers_per_rank * n)]
            row = run(args, n, extra, mode)
            row["mode"] = mode
            if base is None:
                base = row
            t1, tn = base["init_max_s"], row["init_max_s"]
            scale = n / base["ranks"]
            row["efficiency"] = t1 / (scale * tn) if mode == "strong" else t1 / tn
            rows.append(row)
        if mode == "strong" and len({r["fingerprint"] for r in rows if r["mode"] == "strong"}) != 1:
            print("[scaling] WARNING: strong-scaling fingerprints differ across rank counts", file=sys.stderr)

    fields = ["mode", "ranks", "params", "params_max_per_rank", "init_max_s", "init_avg_s", "params_per_s",
              "GBps", "efficiency", "peak_rss_max_GiB", "fingerprint"]
    csv_path = os.path.join(args.out_dir, "scaling.csv")
    with open(csv_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for r in rows:
            w.writerow({k: r[k] for k in fields})

    print("\n%-7s %6s %14s %11s %14s %9s %11s %10s" % ("mode", "ranks", "params", "init_max_s", "params/s", "GB/s",
                                                     "efficiency", "RSS GiB"))
    for r in rows:
        print("%-7s %6d %14.4g %11.3f %14.4g %9.3f %10.1f%% %10.2f" % (
            r["mode"], r["ranks"], r["params"], r["init_max_s"], r["params_per_s"], r["GBps"],
            100 * r["efficiency"], r["peak_rss_max_GiB"]))
    print("\nCSV: " + csv_path)

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not importable: no plots (Debian: python3-matplotlib, run with /usr/bin/python3)")
        return 0
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for mode, marker in (("strong", "o"), ("weak", "s")):
        sel = [r for r in rows if r["mode"] == mode]
        if not sel:
            continue
        n = [r["ranks"] for r in sel]
        axes[0].plot(n, [r["init_max_s"] for r in sel], marker=marker, label=mode)
        axes[1].plot(n, [r["params_per_s"] / 1e9 for r in sel], marker=marker, label=mode)
        axes[2].plot(n, [100 * r["efficiency"] for r in sel], marker=marker, label=mode)
    axes[0].set_ylabel("init_states time, slowest rank [s]")
    axes[1].set_ylabel("init throughput [1e9 params/s]")
    axes[2].set_ylabel("parallel efficiency [%]")
    axes[2].axhline(85, color="grey", linestyle=":", linewidth=1)
    for ax in axes:
        ax.set_xlabel("MPI ranks")
        ax.set_xticks(args.ranks)
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.suptitle("titan_app init_states scaling: %s, run.repeat=%d (%d cores)" % (
        os.path.basename(args.deck), args.repeat, os.cpu_count()))
    fig.tight_layout()
    png = os.path.join(args.out_dir, "scaling.png")
    fig.savefig(png, dpi=110)
    print("plot: " + png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
