#!/usr/bin/env bash
# Issue 17: one training step's parameter and gradient traffic (train.comm)
# and a forward pass's (forward.comm) equal the analytic model of
# docs/parallelism.md, recomputed by comm_model.py from the dry-run's
# parameter list, on several meshes.
# Usage: comm_model.sh TITAN_APP MPIEXEC [ignored]; environment: DECK,
# MODEL (model.key=value pairs), RANKS, MESH ("dp_shard ep tp").
set -euo pipefail
app=$1
mpiexec=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=${PYTHON:-python3}
read -r dp ep tp <<< "$MESH"
args=(--set "mesh.dp_shard=$dp" --set "mesh.ep=$ep" --set "mesh.tp=$tp")
for kv in ${MODEL:-}; do args+=(--set "model.$kv"); done
"$app" "$DECK" --quiet --dry-run --ranks "$RANKS" "${args[@]}" --report-json "$tmp/plan.json" > /dev/null
"$mpiexec" -n "$RANKS" --oversubscribe "$app" "$DECK" --quiet --train --set train.steps=1 --set train.batch=2 \
  --set train.seq_len=16 "${args[@]}" ${EXTRA:-} --report-json "$tmp/run.json" > /dev/null
"$mpiexec" -n "$RANKS" --oversubscribe "$app" "$DECK" --quiet --forward --set forward.batch=2 --set forward.seq_len=16 \
  "${args[@]}" ${EXTRA:-} --report-json "$tmp/forward.json" > /dev/null
"$py" tests/train/comm_model.py "$tmp/plan.json" "$tmp/run.json" "$RANKS" "$dp" "$ep" "$tp" "$tmp/forward.json"
