#!/bin/bash
# The Llama3 debug model's logits against the independent NumPy forward
# (reference_llama3.py): weights dumped by titan_dump_weights, logits by
# titan_app --forward --dump-logits, same deck and seed.
#   reference.sh TITAN_APP MPIEXEC DUMP_WEIGHTS [extra --set args...]
set -euo pipefail
app=$1 mpiexec=$2 dump=$3
shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
deck=inputs/llama3_debug.toml
"$dump" "$deck" "$tmp/weights.safetensors" "$@"
"$mpiexec" -n 1 --oversubscribe "$app" "$deck" --quiet "$@" --forward --dump-logits "$tmp/logits.safetensors" \
  --report-json "$tmp/report.json" | grep TITAN_FORWARD
"${PYTHON:-python3}" tests/forward/reference_llama3.py ${REF_ARGS:-} "$tmp/weights.safetensors" "$tmp/logits.safetensors" --report "$tmp/report.json"
