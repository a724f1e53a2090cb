#!/usr/bin/env python3
"""The GPU check of issue 20 as one prepared run: every measurement the GPU
question needs, from one build folder, in at most 8 minutes on one H100/H200,
written as one markdown table and one JSON file.

    scripts/gpu_check.sh BUILD [--small | --full] [--out DIR]

Steps (each under its own time limit; a failing step is recorded and the
next one runs):
  values    the debug deck's fp32 and bf16 fingerprints against the contract
  init      BUILD/bench/init_bench --json: every initializer fused with its
            statistics, the way before (values, then a stats pass), the RoPE
            table kernel, beside a Kokkos fill of the same bytes
  main      the main job, Llama3 8B bf16 on one rank (--small: the debug deck
            in bf16): fill baseline, init_states, stats, --verify, the fingerprint
  forward   bench/forward_bench.py: titan_app --forward and torch's forward on
            the same weights and tokens (Llama3 1B float32; --small: debugmodel)
  train     titan_app --train when `titan_app --help` lists it; otherwise skipped
  torch     bench/compare_torch.py and bench/compare_torch_model.py: torch's
            initializers and torchtitan's per-parameter init on the same GPU
            (on the CPU with one thread when torch sees no GPU; skipped
            without torch)

Sizes: --full on a device build (the default when titan's execution space is
not a host one), --small otherwise (the default on a CPU build: what the CTest
app.gpu_check_small runs so this script cannot rot). Single ranks run as MPI
singletons with OMPI_MCA_ess_singleton_isolated=1 (no mpirun needed).
"""
import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CONTRACT = {"debug_fp32": "0x93ae0a65d1d650bf", "debug_bf16": "0x959c9fcc07c3ca9e", "llama3_8b_bf16": "0xc95ad31e5fc91c8d"}
HOST_SPACES = ("Serial", "OpenMP", "Threads", "HPX")

SIZES = {
    # step: (full, small)
    "init_elements": (1 << 28, 1 << 20),
    "init_reps": (5, 2),
    "main_deck": ("inputs/llama.toml", "inputs/llama3_debug.toml"),
    "main_sets": ([], ["--set", "run.dtype=bfloat16"]),
    "main_fingerprint": (CONTRACT["llama3_8b_bf16"], CONTRACT["debug_bf16"]),
    "forward": (["--flavor", "1B", "--batch", "1", "--seq-len", "2048", "--reps", "3"],  # logits 1 GB
                ["--flavor", "debugmodel", "--batch", "1", "--seq-len", "64", "--reps", "1"]),
    "torch_elements": (1 << 28, 1 << 20),
    "torch_model_deck": ("inputs/llama.toml", "inputs/llama3_debug.toml"),
}
# Seconds per step, (full, small): the full limits add up to 475 s, inside
# the 8-minute budget of one GPU session.
LIMITS = {"values": (50, 60), "init": (60, 60), "main": (110, 120), "forward": (110, 120), "train": (45, 60),
          "torch": (100, 90)}
assert sum(v[0] for v in LIMITS.values()) <= 480


def run(cmd, limit, env, log):
    """Runs cmd with a time limit; returns (status, seconds, stdout). Output is appended to log."""
    t0 = time.time()
    with open(log, "a") as f:
        f.write("$ %s\n" % " ".join(cmd))
        f.flush()
        try:
            p = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               timeout=limit)
            out, status = p.stdout, ("ok" if p.returncode == 0 else "failed (exit %d)" % p.returncode)
        except subprocess.TimeoutExpired as e:
            out = (e.stdout.decode() if isinstance(e.stdout, bytes) else e.stdout) or ""
            status = "timeout (%d s)" % limit
        except OSError as e:
            out, status = str(e), "failed (%s)" % e.strerror
        f.write(out + "\n")
    return status, time.time() - t0, out


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def phase(report, name):
    p = (report or {}).get("phases", {}).get(name)
    return p["max_s"] if p else None


def fmt(x, unit="", digits=4):
    if x is None:
        return "–"
    if isinstance(x, float):
        return ("%." + str(digits) + "g%s") % (x, unit)
    return "%s%s" % (x, unit)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build", help="the build folder (holds titan_app, bench/init_bench, tests/titan_dump_weights)")
    size = ap.add_mutually_exclusive_group()
    size.add_argument("--small", action="store_true", help="small sizes (default on a CPU build)")
    size.add_argument("--full", action="store_true", help="full sizes (default on a device build)")
    ap.add_argument("--out", help="output folder (default BUILD/gpu_check)")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    out = os.path.abspath(a.out or os.path.join(build, "gpu_check"))
    os.makedirs(out, exist_ok=True)
    log = os.path.join(out, "gpu_check.log")
    open(log, "w").close()
    titan = os.path.join(build, "titan_app")
    env = dict(os.environ, OMPI_MCA_ess_singleton_isolated="1", OPENBLAS_NUM_THREADS="1")
    if os.getuid() == 0:
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    t_start = time.time()
    result = {"program": "gpu_check", "build": build, "host": platform.node(), "steps": {}}
    rows = []  # markdown rows: step, what, figure, status

    def record(step, status, seconds, **figures):
        result["steps"][step] = dict(status=status, seconds=round(seconds, 2), **figures)

    # ---- values (and which execution space this build runs on; sizes are not known yet,
    # so each of the two runs gets half the smaller of the two limits) ----
    vlimit = min(LIMITS["values"]) // 2
    rep_paths = {dt: os.path.join(out, "debug_%s.json" % dt) for dt in ("fp32", "bf16")}
    st1, s1, _ = run([titan, "inputs/llama3_debug.toml", "--quiet", "--report-json", rep_paths["fp32"]], vlimit, env, log)
    st2, s2, _ = run([titan, "inputs/llama3_debug.toml", "--quiet", "--set", "run.dtype=bfloat16", "--report-json",
                      rep_paths["bf16"]], vlimit, env, log)
    r32, r16 = load(rep_paths["fp32"]), load(rep_paths["bf16"])
    exec_space = (r32 or {}).get("execution_space") or (r32 or {}).get("exec_space") or "?"
    device = (r32 or {}).get("device", "?")
    on_device = exec_space not in HOST_SPACES and exec_space != "?"
    small = a.small or (not a.full and not on_device)
    pick = 1 if small else 0
    result.update(exec_space=exec_space, device=device, sizes="small" if small else "full")
    fp32, fp16 = (r32 or {}).get("fingerprint"), (r16 or {}).get("fingerprint")
    values_ok = fp32 == CONTRACT["debug_fp32"] and fp16 == CONTRACT["debug_bf16"]
    status = "ok" if values_ok else ("%s / %s" % (st1, st2) if "ok" != st1 or "ok" != st2 else "WRONG VALUES")
    record("values", status, s1 + s2, debug_fp32=fp32, debug_bf16=fp16)
    rows.append(("values", "debug deck fingerprints fp32 / bf16 (contract %s / %s)" % (CONTRACT["debug_fp32"],
                                                                                      CONTRACT["debug_bf16"]),
                 "%s / %s" % (fp32, fp16), status))
    if shutil.which("nvidia-smi"):
        smi = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True)
        result["gpu"] = smi.stdout.strip()

    # ---- init_bench ----
    jpath = os.path.join(out, "init_bench.json")
    status, secs, _ = run([os.path.join(build, "bench", "init_bench"), "--elements", str(SIZES["init_elements"][pick]),
                           "--reps", str(SIZES["init_reps"][pick]), "--json", jpath], LIMITS["init"][pick], env, log)
    bench = load(jpath) if status == "ok" else None
    by = {(r["kernel"], r["dtype"]): r for r in (bench or {}).get("rows", [])}
    record("init", status, secs, elements=SIZES["init_elements"][pick], rows=(bench or {}).get("rows"))
    for kernel, dtype in (("Kokkos fill (baseline)", "bfloat16"), ("normal(0, 1)", "bfloat16"),
                          ("trunc_normal(0, 0.02, +-2)", "bfloat16"), ("normal(0, 1) then a stats pass", "bfloat16"),
                          ("RoPE table (kernel)", "float32"), ("RoPE table (host reference, libm)", "float32")):
        r = by.get((kernel, dtype))
        fig = "%s M elem/s (%s x fill)" % (fmt(r["M_elem_per_s"]), fmt(r["over_fill"], digits=3)) if r else "–"
        rows.append(("init", "init_bench %s %s" % (kernel, dtype), fig, status))

    # ---- main job ----
    mpath = os.path.join(out, "main.json")
    status, secs, _ = run([titan, SIZES["main_deck"][pick], "--quiet", "--verify", "--report-json", mpath] +
                          SIZES["main_sets"][pick], LIMITS["main"][pick], env, log)
    m = load(mpath) if status == "ok" else None
    fp = (m or {}).get("fingerprint")
    want = SIZES["main_fingerprint"][pick]
    if status == "ok" and fp != want:
        status = "WRONG FINGERPRINT"
    figures = {k: phase(m, k) for k in ("fill", "init_states", "stats", "verify")}
    record("main", status, secs, deck=SIZES["main_deck"][pick], fingerprint=fp, expected=want, phases_max_s=figures,
           params=(m or {}).get("params", {}).get("total"), dtype=(m or {}).get("dtype"))
    rows.append(("main", "%s %s: fingerprint (contract %s)" % (SIZES["main_deck"][pick], (m or {}).get("dtype", ""),
                                                               want), fmt(fp), status))
    for k in ("fill", "init_states", "stats", "verify"):
        rows.append(("main", "phase %s (max over ranks)" % k, fmt(figures[k], " s"), status))

    # ---- forward ----
    fpath = os.path.join(out, "forward.json")
    status, secs, _ = run([sys.executable, "bench/forward_bench.py", "--build", build, "--dir",
                           os.path.join(out, "fwbench"), "--json", fpath] + SIZES["forward"][pick],
                          LIMITS["forward"][pick], env, log)
    fw = load(fpath) if status == "ok" else None
    record("forward", status, secs, args=SIZES["forward"][pick], result=fw)
    t = (fw or {}).get("titan") or {}
    tt = (fw or {}).get("torch") or {}
    rows.append(("forward", "titan --forward %s" % " ".join(SIZES["forward"][pick][:2]),
                 "%s tokens/s, %s GFLOP/s" % (fmt(t.get("tokens_per_s")), fmt(t.get("gflops"))), status))
    rows.append(("forward", "torch forward, same weights and tokens (%s)" % tt.get("device", "no torch"),
                 "%s tokens/s, %s GFLOP/s" % (fmt(tt.get("tokens_per_s")), fmt(tt.get("gflops"))), status))

    # ---- training (only if this titan_app has it) ----
    helptext = subprocess.run([titan, "--help"], capture_output=True, text=True, env=env).stdout
    if re.search(r"^\s*--train\b", helptext, re.M):
        tpath = os.path.join(out, "train.json")
        status, secs, _ = run([titan, "inputs/llama3_debug.toml", "--quiet", "--train", "--report-json", tpath],
                              LIMITS["train"][pick], env, log)
        tr = load(tpath) if status == "ok" else None
        train = (tr or {}).get("train") or (tr or {}).get("training")
        record("train", status, secs, result=train)
        summary = None
        if train and train.get("steps"):
            st = train["steps"]
            summary = "%.4g tokens/s; loss %.4f (step 1) -> %.4f (step %d); peak RSS %s of %s planned" % (
                train.get("tokens_per_s", 0), st[0]["loss"], st[-1]["loss"], st[-1]["step"],
                train.get("peak_rss"), train.get("planned_peak_bytes"))
        rows.append(("train", "titan_app --train (debug deck, %s steps)" % (len(train["steps"]) if train else "?"),
                     fmt(summary), status))
    else:
        record("train", "skipped: titan_app --help lists no --train", 0.0)
        rows.append(("train", "titan_app --train", "–", "skipped: this titan_app has no --train"))

    # ---- torch on the same machine ----
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
    if have_torch:
        cpath, mpath2 = os.path.join(out, "compare_torch.json"), os.path.join(out, "compare_torch_model.json")
        limit = LIMITS["torch"][pick]
        st_a, s_a, _ = run([sys.executable, "bench/compare_torch.py", "--init-bench",
                            os.path.join(build, "bench", "init_bench"), "--elements",
                            str(SIZES["torch_elements"][pick]), "--reps", "3", "--json", cpath], limit // 2, env, log)
        st_b, s_b, _ = run([sys.executable, "bench/compare_torch_model.py", "--titan", titan, "--reps", "3", "--json",
                            mpath2, SIZES["torch_model_deck"][pick]], limit - limit // 2, env, log)
        ct, cm = load(cpath), load(mpath2)
        record("torch", "%s / %s" % (st_a, st_b), s_a + s_b, initializers=ct, model=cm)
        for r in (ct or {}).get("rows", []):
            if r["initializer"] in ("normal(0, 1)", "trunc_normal(0, 0.02, +-2)") and r["dtype"] == "bfloat16":
                rows.append(("torch", "%s bf16: titan / torch (%s)" % (r["initializer"], ct.get("device")),
                             "%s / %s M/s = %s" % (fmt(r["titan_M_per_s"]), fmt(r["torch_M_per_s"]),
                                                   fmt(r["titan_over_torch"], digits=3)), st_a))
        if cm and cm.get("torch"):
            rows.append(("torch", "whole model %s: torch per-parameter init / titan init_states (%s)" %
                         (SIZES["torch_model_deck"][pick], cm.get("device")),
                         "%s s / %s s = %s" % (fmt(cm["torch_init_s"]), fmt(cm["titan_init_states_s"]),
                                               fmt(cm["torch_over_titan"], digits=3)), st_b))
    else:
        record("torch", "skipped: torch not importable by %s" % sys.executable, 0.0)
        rows.append(("torch", "torch's numbers on the same device", "–", "skipped: no torch"))

    result["seconds"] = round(time.time() - t_start, 1)
    with open(os.path.join(out, "gpu_check.json"), "w") as f:
        json.dump(result, f, indent=1)
    md = ["# titan_app GPU check (%s sizes)" % result["sizes"], "",
          "Build `%s`, execution space %s, %s%s; %.0f s in all (log: gpu_check.log)." %
          (build, exec_space, device, (", " + result["gpu"]) if result.get("gpu") else "", result["seconds"]), "",
          "| step | what | figure | status |", "|---|---|---|---|"]
    md += ["| %s | %s | %s | %s |" % r for r in rows]
    with open(os.path.join(out, "gpu_check.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))
    print("\ngpu_check: wrote %s and %s" % (os.path.join(out, "gpu_check.md"), os.path.join(out, "gpu_check.json")))
    failed = [k for k, v in result["steps"].items()
              if not (v["status"].startswith("ok") or v["status"].startswith("skipped"))
              and not (k == "torch" and "ok" in v["status"])]
    if failed:
        print("gpu_check: steps not ok: %s" % ", ".join(failed))
        return 1
    print("gpu_check: all steps ok or skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
