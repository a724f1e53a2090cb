#!/usr/bin/env bash
# Issue 16: a training run reports its peak memory (train.peak_rss, max over
# ranks) and the plan the memory guard was given (train.planned_peak_bytes:
# the process before titan allocated plus the plan's terms, for the largest
# rank); they agree within 10% on the debug deck: float32 and bfloat16
# (float32 masters), with and without activation checkpointing, at 1 and 2 ranks.
# Usage: train_memory.sh TITAN_APP MPIEXEC
set -euo pipefail
app=$1
mpiexec=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=python3
for p in /usr/bin/python3 python3; do
  if "$p" -c "import json" 2> /dev/null; then py=$p; break; fi
done
. "$(dirname "$0")/require_page_rss.sh"
require_page_granular_rss "$py"
for n in 1 2; do
  for sets in "" "--set run.dtype=bfloat16" "--set train.activation_checkpointing=full"; do
    # shellcheck disable=SC2086  # sets holds several arguments
    "$mpiexec" -n "$n" --oversubscribe "$app" inputs/llama3_debug.toml --quiet --train --set train.steps=2 $sets \
      --report-json "$tmp/r.json" > /dev/null
    "$py" - "$tmp/r.json" "$n ranks ${sets:-float32}" << 'PY'
import json, sys
t = json.load(open(sys.argv[1]))["train"]
peak, plan = t["peak_rss"], t["planned_peak_bytes"]
rel = (plan - peak) / peak
print(f"{sys.argv[2]}: peak RSS {peak / 2**20:.1f} MiB, planned {plan / 2**20:.1f} MiB ({rel:+.1%})")
assert abs(rel) <= 0.10, f"the plan is {rel:+.1%} off the measured peak"
PY
  done
done
echo "training memory: plan within 10% of the measured peak"
