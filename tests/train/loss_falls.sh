#!/bin/bash
# Issue 16's acceptance run: the Llama3 debug model trained at 2 ranks for
# 50 steps at lr 1e-3 on one fixed batch (B x T tokens written here, the same
# batch every step) must at least halve its loss: last <= 0.5 * first.
#   loss_falls.sh TITAN_APP MPIEXEC [B T]   (default 2 x 32)
set -euo pipefail
app=$1 mpiexec=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
here=$(dirname "$0")
py=${PYTHON:-python3}
"$py" "$here/write_tokens.py" "$tmp/tokens.safetensors" 2048 "${3:-2}" "${4:-32}" --seed 16
"$mpiexec" -n 2 --oversubscribe "$app" inputs/llama3_debug.toml --quiet --train --set train.steps=50 \
  --set train.lr=1e-3 --set "train.tokens_file=$tmp/tokens.safetensors" --report-json "$tmp/report.json" | grep TITAN_TRAIN
"$py" - "$tmp/report.json" <<'PY'
import json, sys
steps = json.load(open(sys.argv[1]))["train"]["steps"]
first, last = steps[0]["loss"], steps[-1]["loss"]
print("losses every 10 steps: %s" % " ".join("%.4f" % s["loss"] for s in steps[::10] + steps[-1:]))
ok = len(steps) == 50 and last <= 0.5 * first
print("first %.6f, last %.6f (step %d): last / first = %.4f (limit 0.5) %s"
      % (first, last, steps[-1]["step"], last / first, "ok" if ok else "FAIL"))
sys.exit(0 if ok else 1)
PY
