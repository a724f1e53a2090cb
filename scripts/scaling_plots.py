"""The PNG plots of scripts/scaling_study.py (matplotlib, optional: without it, no plot and a note)."""
import os

COMM_KINDS = ("all_gather", "reduce_scatter", "all_reduce", "all_to_all")


def plot_init(args, rows):
    """--phase init: time, throughput and efficiency (OUT_DIR/scaling.png)."""
    plt = pyplot(args)
    if plt is None:
        return
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


def plot_phase(args, rows, png, ncores):
    """--phase forward/train: time per step, tokens/s, efficiency, communication share; by kind when present."""
    plt = pyplot(args)
    if plt is None:
        return
    # With the report's per-kind communication keys, two more panels: seconds and bytes by kind.
    kinds = [k for k in COMM_KINDS if any(r.get("comm_%s_s" % k) is not None for r in rows)]
    fig, axes = plt.subplots(2, 3 if kinds else 2, figsize=(17 if kinds else 12, 8.4))
    # panels 0-3: the 2 x 2 of the first two columns, row by row; 4 and 5: the third column (the kinds)
    axes = [axes[0][0], axes[0][1], axes[1][0], axes[1][1]] + ([axes[0][2], axes[1][2]] if kinds else [])
    series = []
    for r in rows:
        key = (r["mode"], r["mesh_spec"])
        if key not in series:
            series.append(key)
    if kinds:
        mode, spec = series[0]
        sel = sorted((r for r in rows if (r["mode"], r["mesh_spec"]) == (mode, spec)), key=lambda r: r["ranks"])
        for k, marker in zip(kinds, "osD^"):
            pts = [(r["ranks"], r.get("comm_%s_s" % k), r.get("comm_%s_bytes" % k)) for r in sel]
            secs = [(n, v) for n, v, _ in pts if v is not None]
            nbytes = [(n, b / 1e6) for n, _, b in pts if b is not None]
            axes[4].plot([x[0] for x in secs], [x[1] for x in secs], marker=marker, label=k)
            if nbytes:
                axes[5].plot([x[0] for x in nbytes], [x[1] for x in nbytes], marker=marker, label=k)
        axes[4].plot([r["ranks"] for r in sel], [r.get("comm_s") for r in sel], color="grey", linestyle=":",
                     label="all (train.seconds.communication)")
        which = mode if spec == "deck" else "%s, %s" % (mode, spec)
        axes[4].set_ylabel("communication seconds per step (%s)" % which)
        axes[5].set_ylabel("MB per rank per step (%s)" % which)
        for ax in axes[4:]:
            if ax.get_lines():
                ax.legend(fontsize=8)
    markers = "osD^v<>"
    for j, (mode, spec) in enumerate(series):
        sel = sorted((r for r in rows if (r["mode"], r["mesh_spec"]) == (mode, spec)), key=lambda r: r["ranks"])
        n = [r["ranks"] for r in sel]
        label = mode if spec == "deck" else "%s, %s" % (mode, spec)
        style = dict(marker=markers[j % len(markers)], linestyle="-" if mode == "strong" else "--", label=label)
        axes[0].plot(n, [r["step_s"] for r in sel], **style)
        axes[1].plot(n, [r["tokens_per_s"] for r in sel], **style)
        axes[2].plot(n, [100 * r["efficiency"] for r in sel], **style)
        share = [(r["ranks"], 100 * r["comm_share"]) for r in sel if r.get("comm_share") is not None]
        if share:
            axes[3].plot([s[0] for s in share], [s[1] for s in share], **style)
    axes[0].set_ylabel("time per %s [s]" % ("training step" if args.phase == "train" else "forward pass"))
    axes[1].set_ylabel("tokens/s")
    axes[2].set_ylabel("parallel efficiency [%] (tokens/s per rank)")
    axes[2].axhline(100, color="grey", linestyle=":", linewidth=1)
    axes[3].set_ylabel("communication share of the step [%]")
    if not any(r.get("comm_share") is not None for r in rows):
        axes[3].text(0.5, 0.5, "no communication seconds\nin the %s report" % args.phase, ha="center",
                     va="center", transform=axes[3].transAxes)
    ranks = sorted({r["ranks"] for r in rows})
    for ax in axes:
        ax.set_xlabel("MPI ranks" + (" (> %d oversubscribed)" % ncores if ranks[-1] > ncores else ""))
        ax.set_xticks(ranks)
        ax.grid(True, alpha=0.3)
        if ranks[-1] > ncores:
            ax.axvspan(ncores + 0.5, ranks[-1] + 0.5, color="grey", alpha=0.08)
    # One legend for the four panels, below them, so that it hides no point (every series is in panel 0).
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 4), fontsize=9)
    b = sorted({r["batch"] for r in rows if r["mode"] == "strong"})
    w = sorted({r["batch"] // r["dp_shard"] for r in rows if r["mode"] == "weak"})
    batches = ", ".join(x for x in ("strong batch %s" % "/".join(map(str, b)) if b else "",
                                    "weak %s per dp rank" % "/".join(map(str, w)) if w else "") if x)
    loads = [r["load_before"] for r in rows]
    title = "titan_app %s scaling: %s, %s, seq_len %d; %d cores (nproc), load average %.1f-%.1f before the runs" % (
        args.phase, os.path.basename(args.deck), batches, rows[0]["seq_len"], ncores, min(loads), max(loads))
    if args.note:
        title += "\n" + args.note
    fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0.04 * ((len(labels) + 3) // 4), 1, 1))
    fig.savefig(png, dpi=args.dpi)
    print("plot: " + png)


def pyplot(args):
    """matplotlib's pyplot on the Agg backend, or None (--no-plot, or matplotlib missing: said once)."""
    if args.no_plot:
        return None
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not importable: no plots (Debian: python3-matplotlib, run with /usr/bin/python3)")
        return None
    return plt
