#!/usr/bin/env bash
# Issue 10's acceptance on the debug deck (docs/checkpoint.md):
#  (a) saved at 1 rank, 3 ranks (3x1) and 4 ranks (dp_shard=2 x tp=2): the
#      files are byte-identical (cmp), float32 and bfloat16; small files
#      (max_file_bytes) and a 4 KiB staging buffer so that several files and
#      many slabs per tensor are exercised;
#  (b) the independent numpy reader (read_safetensors.py) checks names, shapes
#      and dtypes against the spec's shapes and the statistics against the
#      saving run's report;
#  (c) saved at 3 ranks, loaded at 2 ranks with tp=2: the saving run's
#      fingerprint, also with another run.seed; the report says "load" and
#      init "loaded" (check_report.py passes);
#  (d) HF names: the same at 1 and 4 ranks, permutation and config.json
#      checked by the reader; loaded back with --checkpoint-names hf;
#  (e) --load-convert-dtype: a float32 checkpoint loaded into a bfloat16 run
#      gives the bfloat16 run's own fingerprint (titan rounds float32 values
#      to bfloat16 when initializing, and the conversion rounds the same way);
#  (f) --overwrite replaces a checkpoint; no temporary directory is left;
#  (g) the PyTorch snippet of docs/checkpoint.md runs (when torch is installed).
# Usage: checkpoint_roundtrip.sh TITAN_APP MPIEXEC
set -euo pipefail
app=$1
mpiexec=$2
deck=inputs/llama3_debug.toml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=python3
for p in python3 /usr/bin/python3; do
  if "$p" -c "import numpy" 2> /dev/null; then py=$p; break; fi
done
small=(--quiet --set checkpoint.max_file_bytes=3000000 --set checkpoint.buffer_bytes=4096
       --set checkpoint.write_speed_sample_bytes=0)
run() {  # ranks args...
  local n=$1
  shift
  "$mpiexec" -n "$n" --oversubscribe "$app" "${small[@]}" "$@"
}
fp() { "$py" -c "import json,sys; print(json.load(open(sys.argv[1]))['fingerprint'])" "$1"; }
same_files() {  # dirA dirB
  local a=$1 b=$2
  [ "$(ls "$a")" == "$(ls "$b")" ] || { echo "FAIL: $a and $b hold different files"; exit 1; }
  for f in "$a"/*; do cmp "$f" "$b/$(basename "$f")" || { echo "FAIL: $f differs"; exit 1; }; done
}

# (a) + (b)
for dtype in float32 bfloat16; do
  run 1 "$deck" --set run.dtype=$dtype --save "$tmp/$dtype.1" --report-json "$tmp/$dtype.1.json" > /dev/null
  run 3 "$deck" --set run.dtype=$dtype --save "$tmp/$dtype.3" --report-json "$tmp/$dtype.3.json" > /dev/null
  run 4 "$deck" --set run.dtype=$dtype --set mesh.dp_shard=2 --set mesh.tp=2 --save "$tmp/$dtype.4" > /dev/null
  same_files "$tmp/$dtype.1" "$tmp/$dtype.3"
  same_files "$tmp/$dtype.1" "$tmp/$dtype.4"
  echo "$dtype: $(ls "$tmp/$dtype.1" | wc -l) files byte-identical at 1, 3 (3x1) and 4 (2x2) ranks"
  "$py" tests/app/read_safetensors.py check "$tmp/$dtype.3" "$tmp/$dtype.3.json"
done
saved=$(fp "$tmp/float32.3.json")

# (c)
for seed in 0 7; do
  run 2 "$deck" --set mesh.tp=2 --set run.seed=$seed --load "$tmp/float32.3" --report-json "$tmp/load$seed.json" > /dev/null
  got=$(fp "$tmp/load$seed.json")
  [ "$got" == "$saved" ] || { echo "FAIL: loaded with seed $seed: fingerprint $got, saved $saved"; exit 1; }
  python3 tests/app/check_report.py "$tmp/load$seed.json" > /dev/null
  "$py" - "$tmp/load$seed.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert "load" in r["phases"] and "init_states" not in r["phases"], r["phases"]
assert all(p["init"] == "loaded" for p in r["parameters"])
c = r["checkpoint"]["load"]
assert c["bytes"] > 0 and c["files"] == 9 and c["load_s"] > 0, c
PY
  echo "loaded at 2 ranks (tp=2) with seed $seed: fingerprint $got = the saving run's"
done
run 1 "$deck" --set run.seed=7 --report-json "$tmp/seed7.json" > /dev/null
[ "$(fp "$tmp/seed7.json")" != "$saved" ] || { echo "FAIL: seed 7 alone gives the same fingerprint"; exit 1; }

# (d)
run 1 "$deck" --checkpoint-names hf --save "$tmp/hf.1" > /dev/null
run 4 "$deck" --checkpoint-names hf --set mesh.dp_shard=2 --set mesh.tp=2 --save "$tmp/hf.4" > /dev/null
same_files "$tmp/hf.1" "$tmp/hf.4"
"$py" tests/app/read_safetensors.py hf "$tmp/float32.1" "$tmp/hf.4"
run 3 "$deck" --checkpoint-names hf --load "$tmp/hf.4" --report-json "$tmp/loadhf.json" > /dev/null
[ "$(fp "$tmp/loadhf.json")" == "$saved" ] || { echo "FAIL: HF-named checkpoint loaded to $(fp "$tmp/loadhf.json")"; exit 1; }
echo "HF names: identical at 1 and 4 ranks, permutation checked, loaded back at 3 ranks to $saved"

# (e)
run 1 "$deck" --set run.dtype=bfloat16 --report-json "$tmp/bf16.json" > /dev/null
run 2 "$deck" --set run.dtype=bfloat16 --load "$tmp/float32.3" --load-convert-dtype --report-json "$tmp/conv.json" > /dev/null
[ "$(fp "$tmp/conv.json")" == "$(fp "$tmp/bf16.json")" ] || { echo "FAIL: converted load $(fp "$tmp/conv.json") != bf16 run $(fp "$tmp/bf16.json")"; exit 1; }
echo "float32 checkpoint loaded into a bfloat16 run: $(fp "$tmp/conv.json") = the bfloat16 run's"

# (f)
run 2 "$deck" --set run.seed=7 --save "$tmp/float32.1" --overwrite > /dev/null
"$py" - "$tmp/float32.1" <<'PY'
import json, struct, sys
raw = open(sys.argv[1] + "/model-00001-of-00009.safetensors", "rb").read(4096)
n = struct.unpack("<Q", raw[:8])[0]
assert json.loads(raw[8:8 + n])["__metadata__"]["seed"] == "7"
PY
if ls -d "$tmp"/*.tmp.* "$tmp"/*.old.* 2> /dev/null; then echo "FAIL: temporary directories left"; exit 1; fi
echo "--overwrite replaced the checkpoint; no temporary directory left"

# (g)
if /usr/bin/python3 -c "import torch" 2> /dev/null; then
  /usr/bin/python3 tests/app/doc_snippet.py docs/checkpoint.md "$tmp/bfloat16.3" "$tmp/bfloat16.3.json"
else
  echo "torch not installed: the PyTorch snippet was not run"
fi
echo "checkpoint round trip OK"
