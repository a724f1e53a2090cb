#!/usr/bin/env python3
"""Checks scripts/scaling_study.py on the Llama3 debug deck (2 layers, seconds).

usage: test_scaling_study.py {train,forward,init,errors,report_keys} TITAN_APP MPIEXEC OUT_DIR

train / forward: a strong (global batch 4) and a weak (2 per data-parallel
rank) study at 1 and 2 ranks; the CSV must have one row per run with the
asked batch and seq_len, and values that agree with independent facts:
tokens/s = batch * seq_len / step seconds (the report's tokens/s against the
step times the script read), the baseline's efficiency 1, the strong runs'
losses equal across rank counts within 1e-5 relative (the mesh-invariance
contract; not the fingerprints: the BLAS's float rounding depends on how many
rows each rank has) and near ln(V) for an untrained model, a communication share in [0, 1] with time spent
communicating on 2 ranks.
init: the CSV header of before (its output must not change).
forward runs the list twice (--trials 2): each row is its run's trial with
the most tokens/s, checked against both trials' reports.
errors: bad arguments exit 2 with one argparse message; a failing run exits 1
naming its command and showing titan_app's error; --keep-going runs the
others and writes their CSV; a run past --timeout is ended, ranks included.
report_keys: the per-kind train.comm.<kind> keys are read when a report has
them, and left empty when it has not, and the plot gets its per-kind panels
only then (synthetic reports and rows; no run).
Prints "scaling study checks passed" when every check holds.
"""
import csv
import importlib.util
import json
import math
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "scaling_study.py")
DECK = os.path.join(ROOT, "inputs", "llama3_debug.toml")
SEQ_LEN, VOCAB = 64, 2048  # the debug deck's [train]/[forward] default seq_len and its vocabulary
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def study(app, mpiexec, out, *extra):
    cmd = [sys.executable, SCRIPT, "--app", app, "--mpiexec", mpiexec, "--deck", DECK, "--out-dir", out] + list(extra)
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    print(p.stdout + p.stderr)
    return p


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def close(a, b, rel):
    return abs(a - b) <= rel * max(abs(a), abs(b))


def phase_checks(phase, app, mpiexec, out):
    extra = ["--phase", phase, "--ranks", "1", "2", "--batch", "4", "--batch-per-rank", "2",
             "--set", "model.n_layers=2"]
    # forward also runs the list twice (--trials 2): each row must be its run's faster trial
    extra += ["--steps", "2"] if phase == "train" else ["--repeat", "1", "--trials", "2"]
    p = study(app, mpiexec, out, *extra)
    check(p.returncode == 0, "%s study exits 0 (got %d)" % (phase, p.returncode))
    last = "4/4" if phase == "train" else "8/8"
    check("[scaling] %s %s weak np=2 mesh dp_shard=2,ep=1,tp=1" % (last, phase) in p.stdout,
          "progress line of run %s" % last)
    path = os.path.join(out, "scaling_%s.csv" % phase)
    if not os.path.exists(path):
        check(False, "CSV %s written" % path)
        return
    rows = read_csv(path)
    got = [(r["mode"], int(r["ranks"])) for r in rows]
    check(got == [("strong", 1), ("strong", 2), ("weak", 1), ("weak", 2)], "one row per run: %s" % got)
    for r in rows:
        n, dp, batch = int(r["ranks"]), int(r["dp_shard"]), int(r["batch"])
        tag = "%s np=%d" % (r["mode"], n)
        check(r["phase"] == phase and (dp, int(r["ep"]), int(r["tp"])) == (n, 1, 1), tag + ": phase and mesh")
        want = 4 if r["mode"] == "strong" else 2 * dp
        check(batch == want and int(r["seq_len"]) == SEQ_LEN, tag + ": batch %d (want %d), seq_len %s"
              % (batch, want, r["seq_len"]))
        step, tps = float(r["step_s"]), float(r["tokens_per_s"])
        check(step > 0 and close(tps, batch * SEQ_LEN / step, 1e-6),
              tag + ": tokens/s %.6g = batch * seq_len / step_s = %.6g" % (tps, batch * SEQ_LEN / step))
        loss = float(r["loss"])
        check(abs(loss - math.log(VOCAB)) < 1.5, tag + ": loss %.4f near ln V = %.4f" % (loss, math.log(VOCAB)))
        used = float(r["cores_used"])
        check(0 < used <= len(os.sched_getaffinity(0)) + 0.05,
              tag + ": cores used %.2f in (0, nproc] (CPU seconds cannot exceed cores x wall seconds)" % used)
        eff = float(r["efficiency"])
        check(0 < eff < 10, tag + ": efficiency %.3f in (0, 10)" % eff)
        if n == 1:
            check(eff == 1.0, tag + ": the baseline's efficiency is 1")
        if phase == "forward":
            tps_trials = []
            for t in (1, 2):
                report = os.path.join(out, "forward_%s_np%d_dp_shard%d_ep1_tp1_trial%d.json" % (r["mode"], n, dp, t))
                with open(report) as f:
                    tps_trials.append(json.load(f)["forward"]["tokens_per_s"])
            check(int(r["trials"]) == 2 and close(tps, max(tps_trials), 1e-9),
                  tag + ": the kept trial is the faster one (%.6g of %s)" % (tps, tps_trials))
        if phase == "train":
            share, comm = float(r["comm_share"]), float(r["comm_s"])
            check(0 <= share <= 1 and comm >= 0, tag + ": communication %.4f s, share %.3f in [0, 1]" % (comm, share))
            if n == 2:
                check(comm > 0, tag + ": two ranks spend time communicating")
        else:
            check(r["comm_s"] == "" and r["comm_share"] == "", tag + ": forward has no communication figures")
    strong = [r for r in rows if r["mode"] == "strong"]
    if len(strong) == 2:
        a, b = float(strong[0]["loss"]), float(strong[1]["loss"])
        check(close(a, b, 1e-5), "strong: loss at 1 and 2 ranks equal within 1e-5 (%.9g, %.9g)" % (a, b))
    try:
        import matplotlib  # noqa: F401
        png = os.path.join(out, "scaling_%s.png" % phase)
        check(os.path.exists(png) and os.path.getsize(png) > 10000, "plot %s written" % png)
        if phase == "train":  # --replot redraws the plot from the CSV alone, with no run
            os.remove(png)
            q = study(app, mpiexec, out, "--phase", phase, "--replot")
            check(q.returncode == 0 and os.path.exists(png) and "[scaling] 1/" not in q.stdout,
                  "--replot redraws %s from the CSV without running" % png)
    except ImportError:
        print("matplotlib not importable here: the plot is not checked")


def init_checks(app, mpiexec, out):
    p = study(app, mpiexec, out, "--ranks", "1", "--modes", "strong", "--set", "model.n_layers=2", "--no-plot")
    check(p.returncode == 0, "init study exits 0")
    path = os.path.join(out, "scaling.csv")
    rows = read_csv(path) if os.path.exists(path) else []
    check(rows and list(rows[0].keys()) == ["mode", "ranks", "params", "params_max_per_rank", "init_max_s",
                                            "init_avg_s", "params_per_s", "GBps", "efficiency",
                                            "peak_rss_max_GiB", "fingerprint"], "init CSV header unchanged")


def error_checks(app, mpiexec, out):
    for args, needle in ((["--phase", "bogus"], "argument --phase: invalid choice"),
                         (["--phase", "train", "--mesh", "tp=x"], "'tp=x': tp='x' is not an integer"),
                         (["--phase", "train", "--mesh", "pp=2"], "DIM one of dp_shard, ep, tp"),
                         (["--phase", "train", "--ranks", "0"], "must be at least 1"),
                         (["--phase", "train", "--ranks", "1", "--mesh", "tp=2"], "--mesh tp=2 fits none of --ranks 1"),
                         (["--phase", "init", "--mesh", "tp=2"], "--mesh applies to --phase forward and train only"),
                         (["--phase", "init", "--trials", "2"], "--trials applies to --phase forward and train only"),
                         (["--phase", "train", "--app", "/nonexistent/titan_app"], "no such file")):
        p = study(app, mpiexec, out, *args)
        check(p.returncode == 2 and needle in p.stderr and p.stderr.count("error:") == 1,
              "%s: exit 2 (got %d) with one message containing %r" % (" ".join(args), p.returncode, needle))
    p = study(app, mpiexec, out, "--phase", "train", "--ranks", "1", "--mesh", "dp_shard=-1", "--steps", "1",
              "--set", "train.no_such_key=1")
    check(p.returncode == 1, "a failing run: exit 1 (got %d)" % p.returncode)
    check("FAILED 1/2 train strong np=1" in p.stderr and "titan_app --quiet" in p.stderr,
          "a failing run: its command is printed")
    check("titan_app: error" in p.stderr and "no_such_key" in p.stderr, "a failing run: titan_app's message is shown")
    check("2/2" not in p.stdout, "the study stops after the failure (no --keep-going)")
    # --keep-going: the tp=2 run fails (tp must divide n_heads = 1), the dp_shard run still runs and is in the CSV.
    kg = os.path.join(out, "keep_going")
    p = study(app, mpiexec, kg, "--phase", "train", "--ranks", "2", "--modes", "strong", "--mesh", "tp=2",
              "--mesh", "dp_shard=-1", "--steps", "1", "--set", "model.n_heads=1", "--set", "model.n_layers=1",
              "--keep-going", "--no-plot")
    rows = read_csv(os.path.join(kg, "scaling_train.csv")) if os.path.exists(os.path.join(kg, "scaling_train.csv")) else []
    check(p.returncode == 1 and "FAILED 1/2" in p.stderr and "1 run(s) failed" in p.stderr,
          "--keep-going: exit 1 after the failed run, which it names")
    check([r["mesh"] for r in rows] == ["dp_shard=2,ep=1,tp=1"], "--keep-going: the CSV has the run that passed")
    # A run past --timeout is ended with every rank it started, and the study says so.
    slow = os.path.join(out, "slow")
    p = study(app, mpiexec, slow, "--phase", "train", "--ranks", "2", "--modes", "strong", "--mesh", "dp_shard=-1",
              "--steps", "1000", "--timeout", "2")
    check(p.returncode == 1 and "timed out after 2 s" in p.stderr, "a run past --timeout: exit 1, 'timed out'")
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    check(slow not in ps, "no process of the timed-out run is left")


def report_keys_checks():
    spec = importlib.util.spec_from_file_location("scaling_study", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)

    class Args:
        phase = "train"

    steps = [{"step": 1, "loss": 8.0, "seconds": 2.0}, {"step": 2, "loss": 7.0, "seconds": 1.0},
             {"step": 3, "loss": 6.0, "seconds": 1.5}]
    train = {"batch": 2, "seq_len": 64, "steps": steps, "tokens_per_s": 128 / 1.25, "fingerprint": "0x1",
             "seconds": {"communication": 0.9}, "peak_rss": 2**30}
    row = mod.phase_row(Args, {"train": train})
    check(close(row["step_s"], 1.25, 1e-12) and close(row["comm_s"], 0.3, 1e-12) and close(row["comm_share"], 0.2, 1e-12),
          "step 1.25 s (mean after the first), communication 0.3 s per step, share 0.9 / 4.5 = 0.2")
    check(all(("comm_%s_s" % k) not in row for k in mod.COMM_KINDS), "no per-kind keys: none read")
    train["comm"] = {"all_gather": {"seconds": 0.25, "bytes": 1000}, "reduce_scatter": {"seconds": 0.5, "bytes": 2000},
                     "all_reduce": {"seconds": [9.0, 0.1, 0.3], "bytes": [30, 30, 30]}}
    row = mod.phase_row(Args, {"train": train})
    check(row["comm_all_gather_s"] == 0.25 and row["comm_all_gather_bytes"] == 1000
          and row["comm_reduce_scatter_bytes"] == 2000, "per-step per-kind numbers read as they are")
    check(close(row["comm_all_reduce_s"], 0.2, 1e-12) and row["comm_all_reduce_bytes"] == 30,
          "per-kind lists of steps: the mean after the first")
    check("comm_all_to_all_s" not in row, "a kind the report lacks stays empty")
    del train["comm"]
    for s, ag in zip(steps, (5.0, 0.2, 0.4)):
        s["comm"] = {"all_gather": {"seconds": ag, "bytes": 64}}
    row = mod.phase_row(Args, {"train": train})
    check(close(row["comm_all_gather_s"], 0.3, 1e-12) and row["comm_all_gather_bytes"] == 64
          and "comm_all_reduce_s" not in row, "per-kind keys in each step's record: the mean after the first")


def plot_kinds_checks(out):
    """The plot of rows with and without per-kind columns (synthetic rows; matplotlib only)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("matplotlib not importable here: the plot is not checked")
        return
    spec = importlib.util.spec_from_file_location("scaling_study", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)

    class Args:
        phase, deck, note, dpi, no_plot = "train", DECK, "synthetic rows", 60, False

    os.makedirs(out, exist_ok=True)
    rows = []
    for n in (1, 2):
        rows.append(dict(mode="strong", mesh_spec="deck", ranks=n, batch=4, dp_shard=n, seq_len=64, step_s=1.0 / n,
                         tokens_per_s=256.0 * n, efficiency=1.0, comm_s=0.1 * (n - 1), comm_share=0.1 * (n - 1),
                         load_before=1.0))
    for with_kinds in (False, True):
        if with_kinds:
            for r in rows:
                r.update(comm_all_gather_s=0.05 * r["ranks"], comm_all_gather_bytes=1e6 * r["ranks"])
        png = os.path.join(out, "kinds_%d.png" % with_kinds)
        mod.scaling_plots.plot_phase(Args, rows, png, 2)
        check(os.path.exists(png) and os.path.getsize(png) > 5000, "plot %s rows: %s" % (
            "with per-kind" if with_kinds else "without per-kind", png))
    import matplotlib.image
    w0 = matplotlib.image.imread(os.path.join(out, "kinds_0.png")).shape[1]
    w1 = matplotlib.image.imread(os.path.join(out, "kinds_1.png")).shape[1]
    check(w1 > w0 * 1.3, "per-kind columns add a third column of panels (width %d -> %d px)" % (w0, w1))


def main():
    what = sys.argv[1]
    if what == "report_keys":
        report_keys_checks()
        if len(sys.argv) > 4:
            plot_kinds_checks(sys.argv[4])
    else:
        app, mpiexec, out = sys.argv[2:5]
        os.makedirs(out, exist_ok=True)
        {"train": lambda: phase_checks("train", app, mpiexec, out),
         "forward": lambda: phase_checks("forward", app, mpiexec, out),
         "init": lambda: init_checks(app, mpiexec, out),
         "errors": lambda: error_checks(app, mpiexec, out)}[what]()
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("scaling study checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
