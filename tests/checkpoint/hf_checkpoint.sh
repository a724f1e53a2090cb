#!/usr/bin/env bash
# Issue 18's acceptance for one family's debug deck with Hugging Face names
# (docs/checkpoint.md):
#  (a) saved with HF names at 1 and 3 ranks: the files are byte-identical;
#  (b) names, shapes and config.json against the HF architecture's own list
#      (hf_reference.py names: written from the HF parameter names, not by
#      titan's adapter);
#  (c) loaded at 2 ranks with tp = 2 (Flux: dp_shard = 2): the saving run's
#      fingerprint;
#  (d) every HF tensor equals the titan-named checkpoint's tensors as the HF
#      architecture stores them (hf_reference.py values, numpy);
#  (e) titan -> HF -> titan (--load-names / --save-names): bit-identical
#      files, and the HF files of the conversion equal (a)'s;
#  (f) decoder families: --forward on the HF-named checkpoint gives the same
#      logits (--dump-logits, byte for byte) as on the titan-named one, both
#      on (c)'s mesh (tensor-parallel compute sums its partial products in
#      another order than dp_shard = 2: bit-identity holds within one mesh).
# Small files and a 1 MiB staging buffer, so that tensors split over files
# and slabs. Usage: hf_checkpoint.sh TITAN_APP MPIEXEC FAMILY DECK LAYERS [--set k=v ...]
# (FAMILY as hf_reference.py names it; LAYERS "-" for the flavor's count).
set -euo pipefail
app=$1
mpiexec=$2
family=$3
deck=$4
layers=$5
[ "$layers" == - ] && layers=""
shift 5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=python3
for p in python3 /usr/bin/python3; do
  if "$p" -c "import numpy" 2> /dev/null; then py=$p; break; fi
done
here=$(dirname "$0")
opts=(--quiet --set checkpoint.max_file_bytes=30000000 --set checkpoint.buffer_bytes=1048576
      --set checkpoint.write_speed_sample_bytes=0 "$@")
run() {  # ranks args...
  local n=$1
  shift
  "$mpiexec" -n "$n" --oversubscribe "$app" "$deck" "${opts[@]}" "$@" > /dev/null
}
fp() { "$py" -c "import json,sys; print(json.load(open(sys.argv[1]))['fingerprint'])" "$1"; }
same_files() {  # dirA dirB
  [ "$(ls "$1")" == "$(ls "$2")" ] || { echo "FAIL: $1 and $2 hold different files"; exit 1; }
  for f in "$1"/*; do cmp "$f" "$2/$(basename "$f")" || { echo "FAIL: $f differs"; exit 1; }; done
}
mesh2=(--set mesh.tp=2)
[ "$family" == flux ] && mesh2=(--set mesh.dp_shard=2)

# (a)
run 1 --save-names hf --save "$tmp/hf1" --report-json "$tmp/hf1.json"
run 3 --save-names hf --save "$tmp/hf3"
same_files "$tmp/hf1" "$tmp/hf3"
saved=$(fp "$tmp/hf1.json")
echo "$family: HF-named files byte-identical at 1 and 3 ranks ($(ls "$tmp/hf1" | wc -l) files)"
# (b)
"$py" "$here/hf_reference.py" names "$family" "$tmp/hf3" $layers
# (c)
run 2 "${mesh2[@]}" --load-names hf --load "$tmp/hf3" --report-json "$tmp/load.json"
[ "$(fp "$tmp/load.json")" == "$saved" ] || { echo "FAIL: loaded $(fp "$tmp/load.json"), saved $saved"; exit 1; }
echo "$family: loaded at 2 ranks (${mesh2[*]}): fingerprint $saved = the saving run's"
# (d)
run 1 --save "$tmp/titan"
"$py" "$here/hf_reference.py" values "$family" "$tmp/titan" "$tmp/hf3"
# (e)
run 2 --load "$tmp/titan" --save-names hf --save "$tmp/rt_hf"
run 3 --load-names hf --load "$tmp/rt_hf" --save "$tmp/rt_titan"
same_files "$tmp/rt_hf" "$tmp/hf1"
same_files "$tmp/rt_titan" "$tmp/titan"
echo "$family: titan -> HF -> titan bit-identical (and the HF files equal a direct HF save)"
# (f)
if [ "$family" != flux ]; then
  fwd=(--set forward.batch=2 --set forward.seq_len=24)
  run 2 "${mesh2[@]}" --load "$tmp/titan" "${fwd[@]}" --dump-logits "$tmp/titan_logits.safetensors"
  run 2 "${mesh2[@]}" --load-names hf --load "$tmp/hf1" "${fwd[@]}" --dump-logits "$tmp/hf_logits.safetensors"
  cmp "$tmp/titan_logits.safetensors" "$tmp/hf_logits.safetensors" || { echo "FAIL: logits differ"; exit 1; }
  echo "$family: --forward logits from the HF-named checkpoint = from the titan-named one (byte for byte)"
fi
echo "$family: HF checkpoint OK"
