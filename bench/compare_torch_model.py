#!/usr/bin/env python3
"""Whole-model init, titan_app beside PyTorch in the same run: runs titan_app
on a deck (its report gives every parameter's shape, dtype and initializer,
and the init_states and fill times), then allocates the same tensors in torch
and times torchtitan's way of initializing them (one nn.init call per
parameter), best of R, and prints the ratios.

    python3 bench/compare_torch_model.py [--titan build/titan_app] [--reps R] [--device D] [--json FILE] DECK [titan args...]

--device auto (default): CUDA when torch sees a GPU (then run it with a
titan_app built against a CUDA Kokkos, docs/gpu.md), else the CPU with one
thread. Needs Debian's python3-torch on the CPU; says so and exits 0 without.
The report also has titan's own baseline: a plain Kokkos fill of the same bytes.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time


def titan_report(titan, deck, extra, reps):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "report.json")
        subprocess.run([titan, deck, "--quiet", "--report-json", path, "--set", "run.repeat=%d" % reps] + extra,
                       check=True, stdout=subprocess.DEVNULL)
        with open(path) as f:
            return json.load(f)


def torch_init_seconds(report, reps, device):
    import torch
    torch.set_num_threads(1)
    dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}[report["dtype"]]
    tensors = [(torch.empty(p["shape"], dtype=dtype, device=device), p["init_spec"]) for p in report["parameters"]
               if p["init_spec"]["kind"] != "skip"]
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    def init_all():
        with torch.no_grad():
            for t, s in tensors:
                k = s["kind"]
                if k == "normal":
                    torch.nn.init.normal_(t, s["mean"], s["std"])
                elif k == "trunc_normal":
                    torch.nn.init.trunc_normal_(t, s["mean"], s["std"], s["a"], s["b"])
                elif k == "uniform":
                    torch.nn.init.uniform_(t, s["a"], s["b"])
                elif k == "ones":
                    torch.nn.init.ones_(t)
                elif k == "zeros":
                    torch.nn.init.zeros_(t)
                elif k == "constant":
                    torch.nn.init.constant_(t, s["value"])

    init_all()  # warm-up (first touch, kernels loaded)
    best = float("inf")
    for _ in range(reps):
        sync()
        t0 = time.perf_counter()
        init_all()
        sync()
        best = min(best, time.perf_counter() - t0)
    return torch.__version__, best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--titan", default="build/titan_app")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--json", help="also write the comparison as JSON")
    ap.add_argument("deck")
    ap.add_argument("titan_args", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    try:
        import torch
    except ImportError:
        print("compare_torch_model: torch is not importable by %s; install python3-torch (Debian) and run it "
              "with /usr/bin/python3" % sys.executable)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"torch": None, "note": "torch not importable"}, f)
        return 0
    device = args.device if args.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
    r = titan_report(args.titan, args.deck, args.titan_args, args.reps)
    titan_init = r["phases"]["init_states"]["max_s"]
    titan_fill = r["phases"]["fill"]["max_s"]
    version, torch_s = torch_init_seconds(r, args.reps, device)
    gb = sum(math.prod(p["shape"]) for p in r["parameters"]) * \
        (2 if r["dtype"] == "bfloat16" else 4) / 1e9
    print("%s %s %s, %d parameters (%.3f GB), %d rank(s), titan on %s" %
          (r["model"]["family"], r["model"]["flavor"], r["dtype"], r["params"]["total"], gb, r["world_size"],
           r.get("device", r.get("execution_space", "?"))))
    print("  titan init_states   %10.4f s  (best of %d; slowest rank)" % (titan_init, args.reps))
    print("  titan plain fill    %10.4f s  (same bytes, Kokkos deep_copy)" % titan_fill)
    print("  torch %-13s %10.4f s  (per-parameter nn.init on %s, best of %d)" % (version, torch_s, device, args.reps))
    print("  ratio torch / titan init_states = %.2f; titan init_states / fill = %.2f" %
          (torch_s / titan_init, titan_init / titan_fill))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"torch": version, "device": device, "deck": args.deck, "dtype": r["dtype"],
                       "params": r["params"]["total"], "titan_init_states_s": titan_init, "titan_fill_s": titan_fill,
                       "torch_init_s": torch_s, "torch_over_titan": torch_s / titan_init}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
