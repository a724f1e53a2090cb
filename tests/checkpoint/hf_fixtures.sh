#!/usr/bin/env bash
# Checkpoints for the bad-input tests of HF names (tests/checkpoint/CMakeLists.txt):
#   llama3/            llama3_debug with 1 layer, HF names (config.json: 16 heads)
#   qwen3/             qwen3_debug with 1 layer, HF names (rope_theta 1e6)
#   fp8_no_scales/     deepseek_v3_debug, 1 layer, quantized, the FP8 block scales removed
#   mxfp4_no_scales/   gpt_oss_debug, 1 layer, quantized, the MXFP4 scales removed
# Usage: hf_fixtures.sh TITAN_APP MPIEXEC DIR
set -euo pipefail
app=$1
mpiexec=$2
out=$3
py=python3
for p in python3 /usr/bin/python3; do
  if "$p" -c "import numpy" 2> /dev/null; then py=$p; break; fi
done
rm -rf "$out"
mkdir -p "$out"
opts=(--quiet --set checkpoint.write_speed_sample_bytes=0 --set model.n_layers=1 --save-names hf)
"$app" inputs/llama3_debug.toml "${opts[@]}" --save "$out/llama3" > /dev/null
"$app" inputs/qwen3_debug.toml "${opts[@]}" --save "$out/qwen3" > /dev/null
"$app" inputs/deepseek_v3_debug.toml "${opts[@]}" --save "$out/ds_hf" > /dev/null
"$app" inputs/gpt_oss_debug.toml "${opts[@]}" --save "$out/go_hf" > /dev/null
here=$(dirname "$0")
"$py" "$here/hf_reference.py" quantize deepseek_v3 "$out/ds_hf" "$out/ds_q" "$out/ds_ref" > /dev/null
"$py" "$here/hf_reference.py" quantize gpt_oss "$out/go_hf" "$out/go_q" "$out/go_ref" > /dev/null
"$py" "$here/hf_reference.py" drop "$out/ds_q" "$out/fp8_no_scales" _scale_inv
"$py" "$here/hf_reference.py" drop "$out/go_q" "$out/mxfp4_no_scales" _scales
echo "HF fixtures written to $out"
