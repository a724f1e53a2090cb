#!/bin/bash
# Tensor-parallel compute is real (issue 17, item 3): one training step of
# the same batch at 1 rank and at tp = 2 (2 ranks sharing the batch). With
# every module split (heads, hidden units, vocabulary), each tp rank must
# compute exactly half the matrix-product FLOPs of the 1-rank step (the
# FlopCounter of the products it ran) and allocate half the logits ([N,
# V/2]); its reported all-reduce bytes must be nonzero and equal the model.
#   tp_compute.sh TITAN_APP MPIEXEC [ignored]; environment: DECK, MODEL.
set -euo pipefail
app=$1 mpiexec=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
args=(--quiet --train --set train.steps=1 --set train.batch=2 --set train.seq_len=16)
for kv in ${MODEL:-}; do args+=(--set "model.$kv"); done
"$mpiexec" -n 1 "$app" "$DECK" "${args[@]}" --report-json "$tmp/np1.json" > /dev/null
"$mpiexec" -n 2 --oversubscribe "$app" "$DECK" "${args[@]}" --set mesh.tp=2 --set mesh.dp_shard=1 \
  --report-json "$tmp/tp2.json" > /dev/null
"${PYTHON:-python3}" - "$tmp/np1.json" "$tmp/tp2.json" <<'PY'
import json, sys
one, tp2 = (json.load(open(p))["train"] for p in sys.argv[1:3])
ok = True
def check(what, got, want):
    global ok
    good = got == want
    ok &= good
    print("%-34s %s (expected %s) %s" % (what, got, want, "ok" if good else "FAIL"))
check("per-rank FLOPs, tp=2 x 2", 2 * tp2["flops_per_step_rank_max"], one["flops_per_step_rank_max"])
check("per-rank logits bytes, tp=2 x 2", 2 * tp2["logits_bytes"], one["logits_bytes"])
ar = tp2["comm"]["all_reduce"]
check("tp=2 all_reduce bytes = model", ar["bytes"], ar["model_bytes"])
if ar["bytes"] <= 0:
    print("tp=2 moved no all-reduce bytes: FAIL")
    ok = False
sys.exit(0 if ok else 1)
PY
