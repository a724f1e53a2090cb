#!/bin/bash
# A debug model's logits against an independent NumPy forward: weights
# dumped by titan_dump_weights, logits by titan_app --forward --dump-logits,
# same deck and seed. Default: the Llama3 debug model and reference_llama3.py;
# DECK= and REF= choose another deck and reference (e.g. Qwen3's).
#   reference.sh TITAN_APP MPIEXEC DUMP_WEIGHTS [extra --set args...]
set -euo pipefail
app=$1 mpiexec=$2 dump=$3
shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
deck=${DECK:-inputs/llama3_debug.toml}
ref=${REF:-tests/forward/reference_llama3.py}
"$dump" "$deck" "$tmp/weights.safetensors" "$@"
"$mpiexec" -n 1 --oversubscribe "$app" "$deck" --quiet "$@" --forward --dump-logits "$tmp/logits.safetensors" \
  --report-json "$tmp/report.json" | grep TITAN_FORWARD
"${PYTHON:-python3}" "$ref" ${REF_ARGS:-} "$tmp/weights.safetensors" "$tmp/logits.safetensors" --report "$tmp/report.json"
