#!/usr/bin/env python3
"""Strong and weak scaling of titan_app: init_states, the forward pass or a training step.

Runs titan_app at each rank count (and, for forward/train, each mesh shape),
reads the JSON reports, writes a CSV and PNG plots and prints a table.

--phase init (the default; its CSV, table and plot are those of before):
  strong: the deck as it is (fixed model); E(n) = T(1) / (n T(n))
  weak:   n_layers = layers_per_rank * n (width fixed); E(n) = T(1) / T(n)
  T is the slowest rank's best init_states time. Example (the figures in
  docs/performance.md):

    python3 scripts/scaling_study.py --deck inputs/llama.toml --ranks 1 2 4 --layers-per-rank 8

--phase forward | train (default deck inputs/llama3_debug.toml):
  strong: the deck's batch (or --batch) at every rank count;
  weak:   batch = batch_per_rank * dp_shard (the data-parallel ranks: TP and
          EP ranks share a batch), so each data-parallel rank keeps its work.
  T is the time of one step: train, the mean of the report's per-step
  seconds after the first (the first pays first touches), which is what
  the report's tokens/s divides by; forward, the best of --repeat passes.
  Efficiency is tokens/s per rank against the study's baseline (the run with
  the fewest ranks of the same mode, the first mesh at that count):
  E = (tok/s(n) / n) / (tok/s(n0) / n0); it is T(n0) n0 / (T(n) n) for a fixed
  batch and T(n0) / T(n) for a batch that grows with n.
  Communication (train only; the forward report has none): the report's
  train.seconds.communication (each step's slowest rank, summed) per step and
  as a share of the summed step seconds; and, when the report has them, the
  per-kind train.comm.<kind>.seconds / .bytes for the kinds all_gather,
  reduce_scatter, all_reduce, all_to_all (a number per step, or a list of
  per-step numbers: their mean after the first; or the same keys in each
  record of train.steps; absent: empty cells). With them the plot gets two
  more panels: seconds and MB per rank per step by kind (the first series).
  --trials K runs the whole list K times in rounds and keeps, per run, the
  trial with the most tokens/s (a shared machine's other work only slows a
  run down). The CSV also has each kept trial's wall seconds, the cores it
  got (cores_used: CPU seconds of mpirun and its ranks / wall seconds, MPI's
  polling included) and the 1-minute load average before it (load_before:
  the other work it competed with).
  Mesh shapes: --mesh dp_shard=2,tp=2 (repeatable) sets [mesh] with --set;
  unnamed dimensions are dp_shard=-1 (the remaining ranks), ep=1, tp=1. A
  shape runs at every rank count it fits. Without --mesh: the deck's [mesh].
  Example (the figure in docs/performance.md):

    flock /tmp/titan_bigmem.lock nice -n -5 /usr/bin/python3 scripts/scaling_study.py --phase train \\
        --ranks 1 2 3 4 --mesh dp_shard=-1 --mesh tp=2 --batch 12 --batch-per-rank 3 --steps 4 \\
        --trials 3 --out-dir build/scaling_train --note "..."

Rank counts above the core count are oversubscribed (--oversubscribe), so
their efficiency shows the machine, not the code. A failing run prints its
command and the tail of its output, and the study exits with status 1
(--keep-going: after the other runs, with the CSV of those that passed).
"""
import argparse
import csv
import json
import os
import resource
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # scaling_plots beside this file, however it is loaded
import scaling_plots  # noqa: E402
from scaling_plots import COMM_KINDS  # noqa: E402

MESH_DIMS = ("dp_shard", "ep", "tp")


class RunFailed(Exception):
    """One titan_app run failed; the message holds its command and output tail."""


def cores():
    """The cores this process may use (what nproc prints)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def app_env():
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    if os.geteuid() == 0:
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    return env


def tail(path, lines=20):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no output)\n"


def children_cpu_s():
    """User + system seconds of every finished child process (mpirun reaps its ranks)."""
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def stop(proc):
    """Ends mpirun and its ranks: SIGTERM (mpirun forwards it to the ranks), then SIGKILL to the session."""
    try:
        proc.terminate()
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    except OSError:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # whatever of the session is still there
    except OSError:
        pass
    proc.wait()


def launch(args, ranks, extra, report, log):
    """Runs titan_app on `ranks` ranks; its stdout and stderr go to `log`.

    Raises RunFailed (with the command and the log's tail) on a non-zero
    status, a timeout, or a missing report."""
    cmd = [args.mpiexec, "-n", str(ranks), "--oversubscribe", args.app, "--quiet", args.deck,
           "--report-json", report] + extra
    if os.path.exists(report):
        os.remove(report)  # a stale report must not pass for this run's
    try:
        with open(log, "w") as out:
            # Its own session, so that a timeout or ^C can end mpirun and every rank it started.
            proc = subprocess.Popen(cmd, env=app_env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            try:
                rc = proc.wait(timeout=args.timeout or None)
            except subprocess.TimeoutExpired:
                stop(proc)
                raise RunFailed("timed out after %g s (--timeout): %s\n--- last lines of %s:\n%s"
                                % (args.timeout, " ".join(cmd), log, tail(log)))
            except BaseException:  # ^C: no rank is left behind
                stop(proc)
                raise
    except OSError as e:
        raise RunFailed("cannot run %s: %s" % (" ".join(cmd), e))
    if rc != 0 or not os.path.exists(report):
        why = "exit status %d" % rc if rc != 0 else "no report written"
        raise RunFailed("%s: %s\n--- last lines of %s:\n%s" % (why, " ".join(cmd), log, tail(log)))
    with open(report) as f:
        return json.load(f), cmd


# ---------------------------------------------------------------- init phase

def init_run(args, ranks, extra, tag):
    report = os.path.join(args.out_dir, "%s_np%d.json" % (tag, ranks))
    log = os.path.join(args.out_dir, "%s_np%d.log" % (tag, ranks))
    cmd_extra = ["--set", "run.repeat=%d" % args.repeat] + args.set_args + extra
    print("[scaling] " + " ".join([args.mpiexec, "-n", str(ranks), "--oversubscribe", args.app, "--quiet",
                                   args.deck, "--report-json", report] + cmd_extra), flush=True)
    r, _ = launch(args, ranks, cmd_extra, report, log)
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


def init_study(args):
    rows = []
    for mode in args.modes:
        base = None
        for n in args.ranks:
            extra = [] if mode == "strong" else ["--set", "model.n_layers=%d" % (args.layers_per_rank * n)]
            row = init_run(args, n, extra, mode)
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

    scaling_plots.plot_init(args, rows)
    return 0


# ------------------------------------------------------- forward/train phases

def mesh_spec(text):
    """argparse type of --mesh: 'dp_shard=2,tp=2' -> {'dp_shard': 2, 'ep': 1, 'tp': 2}."""
    mesh = {"dp_shard": -1, "ep": 1, "tp": 1}
    seen = set()
    for part in text.split(","):
        key, eq, value = part.strip().partition("=")
        if not eq or key not in MESH_DIMS:
            raise argparse.ArgumentTypeError(
                "%r: expected DIM=N[,DIM=N...] with DIM one of %s, e.g. dp_shard=2,tp=2" % (text, ", ".join(MESH_DIMS)))
        if key in seen:
            raise argparse.ArgumentTypeError("%r names %s twice" % (text, key))
        seen.add(key)
        try:
            n = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError("%r: %s=%r is not an integer" % (text, key, value))
        if n < 1 and not (key == "dp_shard" and n == -1):
            raise argparse.ArgumentTypeError("%r: %s must be >= 1%s" % (
                text, key, " (or -1: the remaining ranks)" if key == "dp_shard" else ""))
        mesh[key] = n
    return {"spec": text, **mesh}


def deck_mesh(args):
    """The deck's [mesh] after the study's --set overrides, from titan_app --print-config."""
    cmd = [args.app, args.deck, "--print-config"] + args.set_args
    try:
        p = subprocess.run(cmd, env=app_env(), capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise RunFailed("cannot read the deck's mesh: %s: %s" % (" ".join(cmd), e))
    if p.returncode != 0:
        raise RunFailed("cannot read the deck's mesh (exit status %d): %s\n%s" % (
            p.returncode, " ".join(cmd), "".join((p.stdout + p.stderr).splitlines(True)[-20:])))
    # The resolved deck's [mesh] table holds three "key = integer" lines (no tomllib: Python < 3.11 lacks it).
    mesh, table = {}, None
    for line in p.stdout.splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("["):
            table = line.strip("[] ")
        elif table == "mesh" and "=" in line:
            key, _, value = line.partition("=")
            try:
                mesh[key.strip()] = int(value.strip())
            except ValueError:
                raise RunFailed("%s: [mesh] %s is not an integer" % (" ".join(cmd), line))
    return {"spec": "deck", "dp_shard": mesh.get("dp_shard", -1), "ep": mesh.get("ep", 1), "tp": mesh.get("tp", 1)}


def resolve_mesh(mesh, n):
    """(dp_shard, ep, tp) of `mesh` on n ranks, or None where it does not fit n."""
    rest = mesh["ep"] * mesh["tp"]
    dp = mesh["dp_shard"]
    if dp == -1:
        if n % rest:
            return None
        dp = n // rest
    return (dp, mesh["ep"], mesh["tp"]) if dp * rest == n else None


def mesh_label(dims):
    return "dp_shard=%d,ep=%d,tp=%d" % dims


def plan_runs(args, meshes):
    runs = []
    for mode in args.modes:
        for n in args.ranks:
            for mesh in meshes:
                dims = resolve_mesh(mesh, n)
                if dims is not None:
                    runs.append((mode, n, mesh, dims))
    return runs


def number(x):
    return x if isinstance(x, (int, float)) and not isinstance(x, bool) else None


def per_step(value):
    """A per-step figure: a number as it is; a list of per-step numbers as the
    mean after the first (the convention of the report's tokens/s)."""
    if isinstance(value, list):
        vals = [v for v in (number(x) for x in value) if v is not None]
        if not vals:
            return None
        vals = vals[1:] if len(vals) > 1 else vals
        return sum(vals) / len(vals)
    return number(value)


def phase_row(args, r):
    """The CSV figures of one report (forward or train)."""
    row = {}
    if args.phase == "train":
        t = r["train"]
        secs = [s["seconds"] for s in t["steps"]]
        timed = secs[1:] if len(secs) > 1 else secs
        total = sum(secs)
        comm = t.get("seconds", {}).get("communication")
        row.update(batch=t["batch"], seq_len=t["seq_len"], steps=len(secs), step_s=sum(timed) / len(timed),
                   first_step_s=secs[0], tokens_per_s=t["tokens_per_s"], loss=t["steps"][-1]["loss"],
                   fingerprint=t["fingerprint"], peak_rss_max_GiB=t.get("peak_rss", 0) / 2**30)
        if comm is not None:
            row["comm_s"] = comm / len(secs)
            row["comm_share"] = comm / total if total > 0 else None
        kinds = t.get("comm")
        if not isinstance(kinds, dict) and all(isinstance(s.get("comm"), dict) for s in t["steps"]):
            # The same keys inside each step's record instead: lists of per-step numbers.
            kinds = {k: {q: [(s["comm"].get(k) or {}).get(q) for s in t["steps"]] for q in ("seconds", "bytes")}
                     for k in COMM_KINDS if any(k in s["comm"] for s in t["steps"])}
        if isinstance(kinds, dict):
            for k in COMM_KINDS:
                v = kinds.get(k)
                if isinstance(v, dict):
                    row["comm_%s_s" % k] = per_step(v.get("seconds"))
                    row["comm_%s_bytes" % k] = per_step(v.get("bytes"))
    else:
        f = r["forward"]
        row.update(batch=f["batch"], seq_len=f["seq_len"], steps=f.get("repetitions", 1), step_s=f["seconds"],
                   first_step_s=f["seconds"], tokens_per_s=f["tokens_per_s"], loss=f["loss"],
                   fingerprint=f["logits_fingerprint"], peak_rss_max_GiB=f.get("peak_rss", 0) / 2**30)
    return row


PHASE_FIELDS = (["phase", "mode", "ranks", "oversubscribed", "mesh_spec", "mesh", "dp_shard", "ep", "tp", "batch",
                 "seq_len", "steps", "step_s", "first_step_s", "tokens_per_s", "efficiency", "comm_s", "comm_share"]
                + ["comm_%s_%s" % (k, q) for k in COMM_KINDS for q in ("s", "bytes")]
                + ["loss", "peak_rss_max_GiB", "fingerprint", "trial", "trials", "wall_s", "cores_used",
                    "load_before"])


def read_rows(path):
    """The rows of a CSV this script wrote, numbers as numbers (for --replot)."""
    rows = []
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            row = {}
            for k, v in r.items():
                try:
                    row[k] = int(v)
                except ValueError:
                    try:
                        row[k] = float(v) if k != "fingerprint" else v
                    except ValueError:
                        row[k] = None if v == "" else v
            rows.append(row)
    return rows


def phase_study(args):
    stem = os.path.join(args.out_dir, "scaling_%s" % args.phase)
    if args.replot:
        rows = read_rows(stem + ".csv")
        if not rows:
            raise RunFailed("%s.csv has no rows to plot" % stem)
        scaling_plots.plot_phase(args, rows, stem + ".png", cores())
        return 0
    meshes = args.mesh or [deck_mesh(args)]
    runs = plan_runs(args, meshes)
    for mesh in meshes:
        if not any(resolve_mesh(mesh, n) for n in args.ranks):
            raise RunFailed("the deck's mesh %s fits none of the rank counts %s (dp_shard * ep * tp must equal "
                            "the ranks)" % (mesh_label((mesh["dp_shard"], mesh["ep"], mesh["tp"])),
                                            " ".join(map(str, args.ranks))))
        skipped = [n for n in args.ranks if not resolve_mesh(mesh, n)]
        if skipped:
            print("[scaling] mesh %s does not fit %s rank(s): not run there" % (
                mesh["spec"], ",".join(map(str, skipped))), flush=True)
    ncores = cores()
    flag = "--train" if args.phase == "train" else "--forward"
    best, failures = {}, []
    # Trials go in rounds (every run once, then again), so that a burst of other work on a shared machine
    # does not hit every trial of one run; each run keeps its trial with the most tokens/s.
    jobs = [(t, k, run) for t in range(1, args.trials + 1) for k, run in enumerate(runs)]
    for i, (trial, k, (mode, n, mesh, dims)) in enumerate(jobs, 1):
        dp = dims[0]
        extra = [flag, "--set", "run.repeat=1"]
        if args.phase == "train":
            extra += ["--set", "train.steps=%d" % args.steps]
        else:
            extra += ["--set", "forward.repetitions=%d" % args.repeat]
        extra += args.set_args
        if args.mesh:
            extra += ["--set", "mesh.dp_shard=%d" % dims[0], "--set", "mesh.ep=%d" % dims[1],
                      "--set", "mesh.tp=%d" % dims[2]]
        batch = args.batch if mode == "strong" else args.batch_per_rank * dp
        if batch is not None:
            extra += ["--set", "%s.batch=%d" % (args.phase, batch)]
        if args.seq_len is not None:
            extra += ["--set", "%s.seq_len=%d" % (args.phase, args.seq_len)]
        tag = "%s_%s_np%d_%s" % (args.phase, mode, n, mesh_label(dims).replace(",", "_").replace("=", ""))
        if args.trials > 1:
            tag += "_trial%d" % trial
        report = os.path.join(args.out_dir, tag + ".json")
        log = os.path.join(args.out_dir, tag + ".log")
        what = "[scaling] %d/%d %s %s np=%d mesh %s%s%s" % (
            i, len(jobs), args.phase, mode, n, mesh_label(dims), " (oversubscribed)" if n > ncores else "",
            " trial %d/%d" % (trial, args.trials) if args.trials > 1 else "")
        print(what + " ...", flush=True)
        load = os.getloadavg()[0]  # other work on the machine: the figures' context
        t0, cpu0 = time.monotonic(), children_cpu_s()
        try:
            r, cmd = launch(args, n, extra, report, log)
            got = (r["mesh"]["dp_shard"], r["mesh"]["ep"], r["mesh"]["tp"])
            if got != dims or r["world_size"] != n:
                raise RunFailed("ran on %d ranks with mesh %s, the study expected %d and %s (its weak batch "
                                "depends on it): %s" % (r["world_size"], mesh_label(got), n, mesh_label(dims),
                                                        " ".join(cmd)))
            row = phase_row(args, r)
        except RunFailed as e:
            print("[scaling] FAILED %d/%d %s %s np=%d: %s" % (i, len(jobs), args.phase, mode, n, e),
                  file=sys.stderr, flush=True)
            failures.append(tag)
            if not args.keep_going:
                return 1
            continue
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as e:
            print("[scaling] FAILED %d/%d: the report %s lacks what the study reads (%r)" % (i, len(jobs), report, e),
                  file=sys.stderr, flush=True)
            failures.append(tag)
            if not args.keep_going:
                return 1
            continue
        wall = time.monotonic() - t0
        # The cores the run got: CPU seconds of mpirun and its ranks over the wall time (MPI's polling counts
        # as busy, so this is an upper bound on compute; below min(ranks, cores) the run was crowded out).
        row["cores_used"] = (children_cpu_s() - cpu0) / wall if wall > 0 else None
        row.update(phase=args.phase, mode=mode, ranks=n, oversubscribed=int(n > ncores), mesh_spec=mesh["spec"],
                   mesh=mesh_label(dims), dp_shard=dims[0], ep=dims[1], tp=dims[2], wall_s=wall,
                   load_before=load, trials=args.trials, trial=trial)
        if k not in best or row["tokens_per_s"] > best[k]["tokens_per_s"]:
            best[k] = row
        print("%s %.1f s, %.2f cores busy (step %.3f s, %.1f tokens/s%s)" % (
            what, wall, row["cores_used"], row["step_s"], row["tokens_per_s"],
            ", communication %.0f %%" % (100 * row["comm_share"]) if row.get("comm_share") is not None else ""),
            flush=True)
    rows = [best[k] for k in sorted(best)]

    for mode in args.modes:
        sel = [r for r in rows if r["mode"] == mode]
        if not sel:
            continue
        base = min(sel, key=lambda r: r["ranks"])  # the first of the fewest ranks (runs are ordered by mesh)
        for r in sel:
            r["efficiency"] = (r["tokens_per_s"] / r["ranks"]) / (base["tokens_per_s"] / base["ranks"])
        losses = [r["loss"] for r in sel if r["mode"] == "strong" and r["phase"] == "train"]
        if losses and max(losses) - min(losses) > 1e-5 * abs(min(losses)):
            print("[scaling] WARNING: strong-scaling losses differ by more than 1e-5 relative across runs: %s"
                  % " ".join("%.8g" % x for x in losses), file=sys.stderr)

    with open(stem + ".csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=PHASE_FIELDS)
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else r[k]) for k in PHASE_FIELDS})

    print("\n%-6s %5s %-22s %6s %9s %11s %10s %9s %9s" % (
        "mode", "ranks", "mesh", "batch", "step_s", "tokens/s", "efficiency", "comm_s", "comm %"))
    for r in rows:
        c = r.get("comm_s")
        print("%-6s %5d %-22s %6d %9.4f %11.1f %9.1f%% %9s %9s%s" % (
            r["mode"], r["ranks"], r["mesh"], r["batch"], r["step_s"], r["tokens_per_s"], 100 * r["efficiency"],
            "-" if c is None else "%.4f" % c, "-" if c is None else "%.1f" % (100 * r["comm_share"]),
            "  oversubscribed" if r["oversubscribed"] else ""))
    print("\nCSV: " + stem + ".csv")
    if rows:
        scaling_plots.plot_phase(args, rows, stem + ".png", ncores)
    if failures:
        print("[scaling] %d run(s) failed: %s" % (len(failures), " ".join(failures)), file=sys.stderr)
        return 1
    return 0


def positive(text):
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not an integer" % text)
    if n < 1:
        raise argparse.ArgumentTypeError("%d: must be at least 1" % n)
    return n


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="Figures and their commands: docs/performance.md (the scaling sections).")
    ap.add_argument("--phase", default="init", choices=["init", "forward", "train"],
                    help="what is timed (default init)")
    ap.add_argument("--app", default="build/titan_app", help="the titan_app binary (default build/titan_app)")
    ap.add_argument("--mpiexec", default="mpirun", help="the MPI launcher (default mpirun)")
    ap.add_argument("--deck", default=None,
                    help="default: inputs/llama.toml for init, inputs/llama3_debug.toml for forward/train")
    ap.add_argument("--ranks", type=positive, nargs="+", default=None,
                    help="rank counts (default: 1 2 4 for init, 1 2 for forward/train)")
    ap.add_argument("--modes", nargs="+", default=["strong", "weak"], choices=["strong", "weak"],
                    help="default: both")
    ap.add_argument("--out-dir", default="build/scaling",
                    help="reports, logs, CSV and PNG (default build/scaling; init writes scaling.csv/.png, "
                         "forward/train scaling_PHASE.csv/.png)")
    ap.add_argument("--repeat", type=positive, default=None,
                    help="init: run.repeat (default 1; >1 adds a warm-up pass, so the first touch of fresh pages "
                         "is not timed); forward: forward.repetitions, the best of R passes (default 2)")
    ap.add_argument("--layers-per-rank", type=positive, default=8, help="init, weak: n_layers = this x ranks")
    ap.add_argument("--mesh", type=mesh_spec, action="append", metavar="DIM=N[,DIM=N]",
                    help="forward/train: a mesh shape (dims dp_shard, ep, tp; unnamed: dp_shard=-1, ep=1, tp=1); "
                         "repeatable; default: the deck's [mesh]")
    ap.add_argument("--steps", type=positive, default=3,
                    help="train: steps per run (default 3; the first is not timed when there are several)")
    ap.add_argument("--batch", type=positive, default=None,
                    help="forward/train, strong: the global batch (default: the deck's)")
    ap.add_argument("--batch-per-rank", type=positive, default=2,
                    help="forward/train, weak: sequences per data-parallel rank (default 2)")
    ap.add_argument("--seq-len", type=positive, default=None, help="forward/train: seq_len (default: the deck's)")
    ap.add_argument("--set", dest="set_args", action="append", default=[], metavar="KEY=VALUE",
                    help="passed to every run as titan_app --set KEY=VALUE (repeatable), e.g. model.n_layers=8")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds one run may take (0: no limit; default 3600)")
    ap.add_argument("--trials", type=positive, default=1,
                    help="forward/train: run the whole list this many times, in rounds, and keep each run's trial "
                         "with the most tokens/s (for a shared machine; default 1)")
    ap.add_argument("--keep-going", action="store_true",
                    help="forward/train: after a failed run, do the others and write the CSV of those that passed "
                         "(exit status 1)")
    ap.add_argument("--no-plot", action="store_true", help="CSV and table only")
    ap.add_argument("--replot", action="store_true",
                    help="forward/train: no runs; redraw OUT_DIR/scaling_PHASE.png from OUT_DIR/scaling_PHASE.csv "
                         "(--deck and --note for the title)")
    ap.add_argument("--note", default="", help="forward/train: a second title line, e.g. '2 cores shared with other jobs'")
    ap.add_argument("--dpi", type=positive, default=90, help="forward/train: PNG resolution (default 90)")
    args = ap.parse_args(argv)
    init = args.phase == "init"
    if init:
        for opt, given in (("--mesh", args.mesh), ("--batch", args.batch), ("--seq-len", args.seq_len),
                           ("--note", args.note), ("--trials", args.trials > 1), ("--replot", args.replot),
                           ("--keep-going", args.keep_going)):
            if given:
                ap.error("%s applies to --phase forward and train only" % opt)
    args.deck = args.deck or ("inputs/llama.toml" if init else "inputs/llama3_debug.toml")
    args.ranks = args.ranks or ([1, 2, 4] if init else [1, 2])
    if args.repeat is None:
        args.repeat = 1 if init else 2
    args.set_args = [x for kv in args.set_args for x in ("--set", kv)]
    if args.replot and args.no_plot:
        ap.error("--replot draws the plot: not with --no-plot")
    if args.timeout < 0:
        ap.error("--timeout must be >= 0")
    for path, what in ((args.app, "--app"), (args.deck, "--deck")):
        if not os.path.isfile(path):
            ap.error("%s %s: no such file%s" % (what, path, " (build titan_app first)" if what == "--app" else ""))
    if len(set(args.ranks)) != len(args.ranks):
        ap.error("--ranks lists a count twice")
    for mesh in args.mesh or []:
        if not any(resolve_mesh(mesh, n) for n in args.ranks):
            ap.error("--mesh %s fits none of --ranks %s (dp_shard * ep * tp must equal the ranks)"
                     % (mesh["spec"], " ".join(map(str, args.ranks))))
    return args


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out_dir, exist_ok=True)
    try:
        return init_study(args) if args.phase == "init" else phase_study(args)
    except RunFailed as e:
        print("[scaling] FAILED: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
