#!/usr/bin/env bash
# Issue 12: building, planning and describing a model must be linear in its
# parameters. Runs `titan_app --dry-run` on a tiny-width Llama3 (dim 2, one
# head) with 1k, 4k, 16k and 64k layers and prints the build and plan phase
# times and the whole run's wall time per parameter: flat within noise when
# linear (a quadratic step would grow 4x per row). Not a test: no assertion.
# Usage: bench/build_plan_bench.sh [TITAN_APP] [LAYERS...]
set -euo pipefail
app=${1:-build/titan_app}
shift || true
layers=("$@")
[ ${#layers[@]} -gt 0 ] || layers=(1024 4096 16384 65536)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%8s %10s %10s %10s %10s %12s %12s\n' layers params build_s plan_s wall_s "build_ns/p" "wall_ns/p"
for n in "${layers[@]}"; do
  t0=$(date +%s.%N)
  "$app" --dry-run --quiet --set model.dim=2 --set model.n_heads=1 --set model.n_layers="$n" \
    --report-json "$tmp/r.json" inputs/llama3_debug.toml > /dev/null
  t1=$(date +%s.%N)
  python3 - "$tmp/r.json" "$n" "$t0" "$t1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
n, wall = int(sys.argv[2]), float(sys.argv[4]) - float(sys.argv[3])
p = len(r["parameters"])
b, pl = r["phases"]["build"]["max_s"], r["phases"]["plan"]["max_s"]
print(f"{n:8d} {p:10d} {b:10.3f} {pl:10.3f} {wall:10.2f} {b / p * 1e9:12.0f} {wall / p * 1e9:12.0f}")
PY
done
