#!/usr/bin/env bash
# Issue 17: no rank allocates the full model. At dp_shard = 3 the measured
# peak memory of every rank (train.peak_rss, max over ranks) is under a third
# of the model's parameter, gradient and optimizer bytes (computed here from
# the dry run's parameter list: float32 4 + 4 + 8 bytes per element) plus the
# plan's scratch (train_plan's peak less its sharded-state terms: the
# gathered block, staging, activations, logits, runtime). The deck (a wide
# Llama3 debug model, one short sequence per rank) makes that bound far below
# the full state, so a rank holding the whole model would fail.
# Usage: sharded_memory.sh TITAN_APP MPIEXEC
set -euo pipefail
app=$1
mpiexec=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=${PYTHON:-python3}
. "$(dirname "$0")/require_page_rss.sh"
require_page_granular_rss "$py"
args=(--set model.dim=1024 --set model.n_layers=4 --set model.n_heads=8 --set model.n_kv_heads=8
      --set model.vocab_size=32768 --set train.batch=3 --set train.seq_len=16 --set train.steps=1)
"$app" inputs/llama3_debug.toml --quiet --dry-run --ranks 3 --train "${args[@]}" --report-json "$tmp/plan.json" > /dev/null
"$mpiexec" -n 3 --oversubscribe "$app" inputs/llama3_debug.toml --quiet --train "${args[@]}" \
  --report-json "$tmp/run.json" > /dev/null
"$py" - "$tmp/plan.json" "$tmp/run.json" << 'PY'
import json, math, sys
plan, run = (json.load(open(f)) for f in sys.argv[1:3])
size = {"float32": 4, "bfloat16": 2}
state = sum(math.prod(p["shape"]) * (size[p["dtype"]] + 4 + 8 + (4 if p["dtype"] == "bfloat16" else 0))
            for p in plan["parameters"])
t = plan["train_plan"]
sharded = sum(t["terms"][k] for k in ("parameters", "gradients", "optimizer_states", "masters"))
scratch = t["peak_bytes"] - sharded
bound = state / 3 + scratch
peak = run["train"]["peak_rss"]
mib = 2 ** 20
print(f"full state {state / mib:.1f} MiB, a third {state / 3 / mib:.1f} MiB, planned scratch {scratch / mib:.1f} MiB, "
      f"bound {bound / mib:.1f} MiB; measured peak (max over 3 ranks) {peak / mib:.1f} MiB")
assert bound < 0.9 * state, "the deck does not separate a sharded rank from one holding the whole model (its peak is at least the whole state)"
assert peak < bound, "a rank holds more than its third of the model state plus the planned scratch"
PY
