#!/usr/bin/env bash
# Quantized HF storage on load (docs/checkpoint.md, issue 18): a float32
# HF-named checkpoint of the debug deck is re-encoded by hf_reference.py
# quantize, an independent writer (DeepSeek-V3: FP8 E4M3 weights with 128x128
# block scales, BF16 router, F16 norms, a non-zero e_score_correction_bias;
# gpt-oss: MXFP4 experts, the rest BF16), which also writes the values those
# encodings decode to as a plain float32 checkpoint (the reference).
# titan_app loads the quantized one at 1 rank and at 2 ranks with tp = 2
# (a 4 KiB staging buffer: slabs cut through the 128-row blocks) and saves it
# again as float32: the tensors equal the reference bit for bit, and the
# loaded model's fingerprint is the reference's.
# Usage: quantized_checkpoint.sh TITAN_APP MPIEXEC FAMILY DECK [--set k=v ...]
set -euo pipefail
app=$1
mpiexec=$2
family=$3
deck=$4
shift 4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=python3
for p in python3 /usr/bin/python3; do
  if "$p" -c "import numpy" 2> /dev/null; then py=$p; break; fi
done
here=$(dirname "$0")
opts=(--quiet --set checkpoint.buffer_bytes=4096 --set checkpoint.write_speed_sample_bytes=0 "$@")
run() {
  local n=$1
  shift
  "$mpiexec" -n "$n" --oversubscribe "$app" "$deck" "${opts[@]}" "$@" > /dev/null
}
fp() { "$py" -c "import json,sys; print(json.load(open(sys.argv[1]))['fingerprint'])" "$1"; }

run 1 --save-names hf --save "$tmp/hf"
"$py" "$here/hf_reference.py" quantize "$family" "$tmp/hf" "$tmp/quant" "$tmp/ref"
run 1 --load-names hf --load "$tmp/ref" --report-json "$tmp/ref.json"
for mesh in "1" "2 --set mesh.tp=2"; do
  set -- $mesh
  n=$1
  shift
  run "$n" "$@" --load-names hf --load "$tmp/quant" --load-convert-dtype --report-json "$tmp/q$n.json" \
    --save-names hf --save "$tmp/out$n"
  "$py" "$here/hf_reference.py" same "$tmp/out$n" "$tmp/ref"
  [ "$(fp "$tmp/q$n.json")" == "$(fp "$tmp/ref.json")" ] || { echo "FAIL: fingerprint $(fp "$tmp/q$n.json") != the reference's $(fp "$tmp/ref.json")"; exit 1; }
  echo "$family: the quantized checkpoint loaded at $n rank(s) equals the decoded reference (fingerprint $(fp "$tmp/ref.json"))"
done
echo "$family: quantized checkpoint OK"
