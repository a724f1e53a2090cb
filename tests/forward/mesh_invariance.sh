#!/bin/bash
# The logits of the debug model do not depend on the mesh: 1, 2, 3 ranks
# (dp_shard), tp=2 at 2 ranks, dp_shard=2 x tp=2 at 4 ranks, compared with
# the 1-rank logits (max |d| <= 1e-5 max |logit|); same loss.
#   mesh_invariance.sh TITAN_APP MPIEXEC DUMP_WEIGHTS
set -euo pipefail
app=$1 mpiexec=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
deck=inputs/llama3_debug.toml
run() {  # name ranks args...
  local name=$1 n=$2
  shift 2
  "$mpiexec" -n "$n" --oversubscribe "$app" "$deck" --quiet --set forward.batch=3 --forward \
    --dump-logits "$tmp/$name.safetensors" "$@" | grep TITAN_FORWARD | sed "s/^/$name: /"
}
run np1 1
run np2 2
run np3 3
run np2_tp2 2 --set mesh.tp=2
run np4_dp2_tp2 4 --set mesh.tp=2 --set mesh.dp_shard=2
"${PYTHON:-python3}" - "$tmp" <<'PY'
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
for name in ["np2", "np3", "np2_tp2", "np4_dp2_tp2"]:
    got = load(tmp + "/%s.safetensors" % name)
    rel = np.abs(got - ref).max() / scale
    ok = got.shape == ref.shape and rel <= 1e-5
    bad += not ok
    print("%-12s max |d| / max |logit| vs np1 = %.3e %s" % (name, rel, "ok" if ok else "FAIL"))
sys.exit(1 if bad else 0)
PY
