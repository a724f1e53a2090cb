#!/bin/bash
# --load + --forward on a checkpoint saved at another rank count: the logits
# of the loaded model equal those of the model run directly (the checkpoint
# holds the same values, and the forward does not depend on the mesh).
# Saved at 3 ranks; run directly at 1 rank; loaded at 2 ranks with tp = 2
# and with another seed in the deck (the values come from the checkpoint).
#   load_forward.sh TITAN_APP MPIEXEC DUMP_WEIGHTS
set -euo pipefail
app=$1 mpiexec=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
deck=${DECK:-inputs/llama3_debug.toml}
forward() {  # ranks out args...
  local n=$1 out=$2
  shift 2
  "$mpiexec" -n "$n" --oversubscribe "$app" "$deck" --quiet --set forward.batch=3 --forward \
    --dump-logits "$tmp/$out.safetensors" "$@" | grep -E "TITAN_FORWARD|TITAN_SUMMARY"
}
"$mpiexec" -n 3 --oversubscribe "$app" "$deck" --quiet --save "$tmp/ckpt" | grep TITAN_SUMMARY
forward 1 direct
forward 2 loaded --load "$tmp/ckpt" --set mesh.tp=2 --set run.seed=12345
"${PYTHON:-python3}" - "$tmp/direct.safetensors" "$tmp/loaded.safetensors" <<'PY'
import json, struct, sys
import numpy as np
def logits(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    e = json.loads(raw[8:8 + n])["logits"]
    a, b = e["data_offsets"]
    return np.frombuffer(raw[8 + n + a:8 + n + b], dtype="<f4").reshape(e["shape"])
d, l = logits(sys.argv[1]), logits(sys.argv[2])
diff = float(np.max(np.abs(d - l)))
scale = float(np.max(np.abs(d)))
print("loaded vs direct: max |d| = %.3g, max |logit| = %.3g" % (diff, scale))
sys.exit(0 if d.shape == l.shape and diff <= 1e-5 * scale else 1)
PY
echo "load_forward: OK"
