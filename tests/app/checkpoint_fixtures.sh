#!/usr/bin/env bash
# Makes the checkpoints the bad-input tests (app.bad.ckpt_*) load, in DIR:
#   good/        the debug model, float32, 9 files (max_file_bytes = 3 MB)
#   truncated/   good with model-00003-of-00009 cut short by 100 bytes
#   bad_json/    good with the opening brace of model-00001's header replaced (invalid JSON)
#   bad_length/  good with model-00002's header length set to 10^12
#   dim128/      saved with model.dim = 128 (shape mismatch)
#   layers2/     saved with model.n_layers = 2 (missing tensors for 6 layers)
#   no_index/    good without model.safetensors.index.json
# Usage: checkpoint_fixtures.sh TITAN_APP MPIEXEC DIR
#        checkpoint_fixtures.sh --check-clean DIR   (after the bad tests: no
#        temporary directory and no output of a failed save left behind)
set -euo pipefail
if [ "$1" == "--check-clean" ]; then
  dir=$2
  left=$(cd "$dir" && ls -d *.tmp.* *.old.* out_* 2> /dev/null || true)
  if [ -n "$left" ]; then echo "FAIL: left behind in $dir: $left"; exit 1; fi
  echo "nothing left behind in $dir"
  rm -rf "$dir"
  exit 0
fi
app=$1
mpiexec=$2
dir=$3
deck=inputs/llama3_debug.toml
rm -rf "$dir"
mkdir -p "$dir"
opts=(--quiet --set checkpoint.max_file_bytes=3000000 --set checkpoint.write_speed_sample_bytes=0)
"$mpiexec" -n 1 "$app" "${opts[@]}" "$deck" --save "$dir/good" > /dev/null
"$mpiexec" -n 1 "$app" "${opts[@]}" "$deck" --set model.dim=128 --save "$dir/dim128" > /dev/null
"$mpiexec" -n 1 "$app" "${opts[@]}" "$deck" --set model.n_layers=2 --save "$dir/layers2" > /dev/null
for d in truncated bad_json bad_length no_index; do cp -r "$dir/good" "$dir/$d"; done
f=$dir/truncated/model-00003-of-00009.safetensors
truncate -s $(( $(stat -c %s "$f") - 100 )) "$f"
printf '#' | dd of="$dir/bad_json/model-00001-of-00009.safetensors" bs=1 seek=8 conv=notrunc status=none
# 10^12 = 0x000000E8D4A51000, little-endian
printf '\x00\x10\xa5\xd4\xe8\x00\x00\x00' | dd of="$dir/bad_length/model-00002-of-00009.safetensors" bs=1 seek=0 conv=notrunc status=none
rm "$dir/no_index/model.safetensors.index.json"
echo "fixtures in $dir"
