#!/bin/bash
# A debug model's logits do not depend on the mesh: each mesh's logits are
# compared with the 1-rank logits (max |d| <= 1e-5 max |logit|); the loss
# and the fingerprint are printed next to each other.
#   mesh_invariance.sh TITAN_APP MPIEXEC DUMP_WEIGHTS
# DECK= the deck (default: the Llama3 debug model); MESHES= the meshes, a
# space-separated list of NAME:RANKS[:key=value,key=value...] (default:
# 2 and 3 ranks, tp=2 at 2 ranks, dp_shard=2 x tp=2 at 4 ranks); SETS= a
# space-separated list of key=value given to every run, 1 rank included
# (e.g. forward.seq_len=160).
set -euo pipefail
app=$1 mpiexec=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
deck=${DECK:-inputs/llama3_debug.toml}
meshes=${MESHES:-np2:2 np3:3 np2_tp2:2:mesh.tp=2 np4_dp2_tp2:4:mesh.tp=2,mesh.dp_shard=2}
common=(--set forward.batch=3)
for s in ${SETS:-}; do common+=(--set "$s"); done
run() {  # name ranks args...
  local name=$1 n=$2
  shift 2
  "$mpiexec" -n "$n" --oversubscribe "$app" "$deck" --quiet "${common[@]}" --forward \
    --dump-logits "$tmp/$name.safetensors" "$@" | grep TITAN_FORWARD | sed "s/^/$name: /"
}
run np1 1
names=()
for m in $meshes; do
  IFS=: read -r name ranks sets <<<"$m"
  args=()
  if [ -n "${sets:-}" ]; then
    IFS=, read -r -a kv <<<"$sets"
    for s in "${kv[@]}"; do args+=(--set "$s"); done
  fi
  run "$name" "$ranks" "${args[@]}"
  names+=("$name")
done
"${PYTHON:-python3}" - "$tmp" "${names[@]}" <<'PY'
import json, struct, sys
import numpy as np
def load(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    h = json.loads(raw[8:8 + n])
    e = h["logits"]
    b, end = e["data_offsets"]
    return np.frombuffer(raw[8 + n + b:8 + n + end], dtype=np.float32).reshape(e["shape"]).astype(np.float64)
tmp = sys.argv[1]
ref = load(tmp + "/np1.safetensors")
scale = np.abs(ref).max()
bad = 0
for name in sys.argv[2:]:
    got = load(tmp + "/%s.safetensors" % name)
    rel = np.abs(got - ref).max() / scale
    ok = got.shape == ref.shape and rel <= 1e-5
    bad += not ok
    print("%-12s max |d| / max |logit| vs np1 = %.3e %s" % (name, rel, "ok" if ok else "FAIL"))
sys.exit(1 if bad else 0)
PY
