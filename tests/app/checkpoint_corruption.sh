#!/usr/bin/env bash
# Issue 19, class 4: a checkpoint whose bytes changed after it was written
# does not load silently. The index carries each tensor's fingerprint (and
# every header the model's); --load compares: exit 2, one message naming the
# tensor (or, for a checkpoint without per-tensor fingerprints, both model
# fingerprints). Cases: a flipped bit (titan names, float32; HF names with
# permuted rows, bfloat16, loaded at tp=2), two tensors of one shape whose
# offsets were swapped in the header, a checkpoint from before the
# per-tensor fingerprints; a NaN written into a tensor; and a dtype
# conversion (other values by design) that still loads.
# Usage: checkpoint_corruption.sh TITAN_APP MPIEXEC
set -euo pipefail
app=$(realpath "$1")
mpiexec=$2
src=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
export OMPI_MCA_odls_base_sigkill_timeout=0
deck=$src/inputs/llama3_debug.toml
small=(--quiet --set model.n_layers=2 --set checkpoint.write_speed_sample_bytes=0)

refused() {  # ranks, expected message (grep -E), args...
  local n=$1 expect=$2
  shift 2
  set +e
  "$mpiexec" -n "$n" --oversubscribe "$app" "${small[@]}" "$@" > "$tmp/out" 2> "$tmp/err"
  local rc=$?
  set -e
  [ "$rc" -eq 2 ] || { cat "$tmp/err"; fail "$*: exit status $rc, not 2"; }
  [ "$(cat "$tmp/out" "$tmp/err" | grep -c 'titan_app: error')" -eq 1 ] || { cat "$tmp/err"; fail "$*: not one message"; }
  grep -Eq -e "$expect" "$tmp/err" || { cat "$tmp/err"; fail "$*: message does not match: $expect"; }
}
# Edits a checkpoint in place: flip <tensor> (xor one byte in the middle of
# its data), nan <tensor> (float32 NaN over its first element), swap <a> <b>
# (their data_offsets in the header), strip (per-tensor fingerprints out of the index).
edit() {
  python3 - "$@" <<'PY'
import json, struct, sys, glob, os
d, op, args = sys.argv[1], sys.argv[2], sys.argv[3:]
def files():
    for f in sorted(glob.glob(os.path.join(d, "*.safetensors"))):
        raw = open(f, "rb").read()
        n = struct.unpack("<Q", raw[:8])[0]
        yield f, n, json.loads(raw[8:8 + n])
if op == "strip":
    p = os.path.join(d, "model.safetensors.index.json")
    j = json.load(open(p)); del j["metadata"]["tensor_fingerprints"]; json.dump(j, open(p, "w"), indent=2)
    sys.exit(0)
for f, n, h in files():
    if op in ("flip", "nan") and args[0] in h:
        b, e = h[args[0]]["data_offsets"]
        with open(f, "r+b") as fh:
            if op == "flip":
                at = 8 + n + (b + e) // 2
                fh.seek(at); v = fh.read(1)[0]; fh.seek(at); fh.write(bytes([v ^ 0x10]))
            else:
                fh.seek(8 + n + b); fh.write(struct.pack("<I", 0x7fc00000))
        sys.exit(0)
    if op == "swap" and args[0] in h and args[1] in h:
        raw = bytearray(open(f, "rb").read())
        text = raw[8:8 + n].decode()
        oa = json.dumps(h[args[0]]["data_offsets"], separators=(",", ":"))
        ob = json.dumps(h[args[1]]["data_offsets"], separators=(",", ":"))
        assert text.count(oa) == 1 and text.count(ob) == 1, (oa, ob)
        text = text.replace(oa, "@A@").replace(ob, oa).replace("@A@", ob)
        raw[8:8 + n] = text.encode()
        open(f, "wb").write(raw)
        sys.exit(0)
sys.exit("tensor not found")
PY
}

"$mpiexec" -n 2 --oversubscribe "$app" "${small[@]}" "$deck" --save "$tmp/good" > /dev/null
"$mpiexec" -n 2 --oversubscribe "$app" "${small[@]}" "$deck" --set run.dtype=bfloat16 --checkpoint-names hf \
  --save "$tmp/hf" > /dev/null
for c in flip swap old nan hf_flip; do rm -rf "$tmp/$c"; done
cp -r "$tmp/good" "$tmp/flip" && edit "$tmp/flip" flip layers.1.feed_forward.w2.weight
cp -r "$tmp/good" "$tmp/swap" && edit "$tmp/swap" swap layers.0.attention.wq.weight layers.0.attention.wo.weight
cp -r "$tmp/good" "$tmp/old" && edit "$tmp/old" strip && edit "$tmp/old" flip layers.0.attention.wk.weight
cp -r "$tmp/good" "$tmp/nan" && edit "$tmp/nan" nan tok_embeddings.weight
cp -r "$tmp/hf" "$tmp/hf_flip" && edit "$tmp/hf_flip" flip model.layers.0.self_attn.q_proj.weight
for n in 1 2; do
  refused "$n" "--load .*/flip: tensor 'layers\.1\.feed_forward\.w2\.weight' loaded with fingerprint 0x[0-9a-f]{16} but was saved with 0x[0-9a-f]{16}" \
    "$deck" --load "$tmp/flip"
  refused "$n" "--load .*/swap: tensor 'layers\.0\.attention\.wq\.weight' loaded with fingerprint" "$deck" --load "$tmp/swap"
  refused "$n" "--load .*/old: the loaded model's fingerprint is 0x[0-9a-f]{16} but the checkpoint says 0x[0-9a-f]{16} .*lists no per-tensor fingerprints" \
    "$deck" --load "$tmp/old"
  refused "$n" "tok_embeddings\.weight: non-finite values loaded from --load .*/nan \(stored as 'tok_embeddings\.weight'\)" \
    "$deck" --load "$tmp/nan"
  refused "$n" "--load .*/hf_flip: tensor 'layers\.0\.attention\.wq\.weight' loaded with fingerprint" \
    "$deck" --set run.dtype=bfloat16 --checkpoint-names hf --set mesh.tp="$n" --load "$tmp/hf_flip"
  # Intact checkpoints load, also through a dtype conversion (values change by design).
  "$mpiexec" -n "$n" --oversubscribe "$app" "${small[@]}" "$deck" --load "$tmp/good" > /dev/null
  "$mpiexec" -n "$n" --oversubscribe "$app" "${small[@]}" "$deck" --checkpoint-names hf --load "$tmp/hf" \
    --load-convert-dtype > /dev/null
done
echo "corrupted checkpoints refused: OK"
