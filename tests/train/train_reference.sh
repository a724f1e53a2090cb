#!/bin/bash
# titan_app --train on a tiny model against the independent float64 torch
# reference (reference_train.py): the same initial weights (dumped by
# titan_dump_weights), the same fixed token batch (write_tokens.py).
#   train_reference.sh TITAN_APP MPIEXEC DUMP_WEIGHTS
# Environment:
#   FAMILY   the family (reference_train.py --family), DECK its deck
#   MODEL    space-separated model.* key=value for both titan and the dump
#            (the tiny shapes; e.g. "dim=64 n_layers=2")
#   TRAIN    space-separated [train] key=value (steps, lr, weight_decay,
#            max_norm, warmup_steps, ...), given to titan as train.KEY and to
#            the reference as --KEY (underscores as dashes)
#   MESH     space-separated mesh.* key=value for titan (default none)
#   RANKS    titan's ranks (default 1)
#   B, T     the batch (default 2 x 16)
#   STEP_BATCHES=1  a new batch each step (tokens [S, B, T]; default one [B, T])
#   GRADS=1  titan dumps step 1's gradients; the reference compares them and
#            runs finite differences (FD=elements per tensor, default 2)
#   REF_ARGS more reference options (model hyperparameters, tolerances, --break)
#   DTYPE    run.dtype (default float32)
#   EXTRA_SETS  '|'-separated key=value for titan and the dump (init overrides)
#   NEGATIVE space-separated reference_train.py --break values (--negative):
#            after the comparison, each deliberately wrong reference must
#            fail it (without finite differences), or the test fails: the
#            comparison could not see that mistake
set -euo pipefail
app=$1 mpiexec=$2 dump=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
here=$(dirname "$0")
py=${PYTHON:-python3}
sets=(--set "run.dtype=${DTYPE:-float32}")
for kv in ${MODEL:-}; do sets+=(--set "model.$kv"); done
if [ -n "${EXTRA_SETS:-}" ]; then
  IFS='|' read -r -a extra <<<"$EXTRA_SETS"
  for kv in "${extra[@]}"; do sets+=(--set "$kv"); done
fi
"$dump" "$DECK" "$tmp/weights.safetensors" "${sets[@]}" >/dev/null
vocab=$("$py" - "$tmp/weights.safetensors" <<'PY'
import json, struct, sys
raw = open(sys.argv[1], "rb").read(1 << 20)
n = struct.unpack("<Q", raw[:8])[0]
print(json.loads(raw[8:8 + n])["output.weight"]["shape"][0])
PY
)
steps=()
if [ "${STEP_BATCHES:-0}" = 1 ]; then
  for kv in ${TRAIN:-}; do [ "${kv%%=*}" = steps ] && steps=(--steps "${kv#*=}"); done
fi
"$py" "$here/write_tokens.py" "$tmp/tokens.safetensors" "$vocab" "${B:-2}" "${T:-16}" "${steps[@]}"
run=("${sets[@]}" --set "train.tokens_file=$tmp/tokens.safetensors")
ref=()
for kv in ${TRAIN:-}; do
  run+=(--set "train.$kv")
  k=${kv%%=*} v=${kv#*=}
  case $k in
    steps | activation_checkpointing) ;;  # the steps come from the report; recomputation changes no value
    *) ref+=("--${k//_/-}" "$v") ;;
  esac
done
for kv in ${MESH:-}; do run+=(--set "mesh.$kv"); done
if [ "${GRADS:-0}" = 1 ]; then
  run+=(--set "train.dump_gradients=$tmp/grads.safetensors")
  ref+=(--grads "$tmp/grads.safetensors" --fd-samples "${FD:-2}")
fi
"$mpiexec" -n "${RANKS:-1}" --oversubscribe "$app" "$DECK" --quiet --train "${run[@]}" --report-json "$tmp/report.json" \
  | grep TITAN_TRAIN
[ "${DTYPE:-float32}" = bfloat16 ] && ref+=(--bf16)
neg=()
for b in ${NEGATIVE:-}; do neg+=(--negative "$b"); done
"$py" "$here/reference_train.py" --family "$FAMILY" "$tmp/weights.safetensors" "$tmp/tokens.safetensors" \
  --report "$tmp/report.json" "${ref[@]}" ${REF_ARGS:-} "${neg[@]}"
