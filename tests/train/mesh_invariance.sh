#!/bin/bash
# Training does not depend on the mesh: 3 steps of a tiny model on fixed
# token batches (a new batch each step, write_tokens.py --steps 3), run at 1
# rank and on each mesh; every step's loss and gradient norm must equal the
# 1-rank run's within 1e-5 relative, and the MoE routing counts of the last
# step must be equal. For an MoE model each run's reported expert load
# (rows routed and computed per rank and expert) is recomputed by
# moe_load.py from the routing and the mesh.
#   mesh_invariance.sh TITAN_APP MPIEXEC DUMP_WEIGHTS
# Environment: DECK; MODEL (space-separated model.* key=value; must hold
# vocab_size); TRAIN (space-separated [train] key=value; default below);
# MESHES (space-separated NAME:RANKS[:key=value,...] of mesh.* keys; default
# 2 and 3 ranks, tp=2 at 2 ranks); B, T (default 4 x 16: 2, 2, 0 sequences
# per rank at 3 ranks).
set -euo pipefail
app=$1 mpiexec=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
here=$(dirname "$0")
py=${PYTHON:-python3}
train=${TRAIN:-steps=3 lr=1e-2 eps=1e-3 weight_decay=1.0 max_norm=0.5 warmup_steps=2}
meshes=${MESHES:-np2:2 np3:3 np2_tp2:2:tp=2}
vocab=
for kv in ${MODEL:-}; do [ "${kv%%=*}" = vocab_size ] && vocab=${kv#*=}; done
[ -n "$vocab" ] || { echo "MODEL must set vocab_size" >&2; exit 2; }
steps=3
for kv in $train; do [ "${kv%%=*}" = steps ] && steps=${kv#*=}; done
"$py" "$here/write_tokens.py" "$tmp/tokens.safetensors" "$vocab" "${B:-4}" "${T:-16}" --steps "$steps"
common=(--set "train.tokens_file=$tmp/tokens.safetensors")
for kv in ${MODEL:-}; do common+=(--set "model.$kv"); done
for kv in $train; do common+=(--set "train.$kv"); done
run() {  # name ranks args...
  local name=$1 n=$2
  shift 2
  "$mpiexec" -n "$n" --oversubscribe "$app" "$DECK" --quiet --train "${common[@]}" "$@" \
    --report-json "$tmp/$name.json" | grep TITAN_TRAIN | sed "s/^/$name: /"
}
run np1 1
names=()
for m in $meshes; do
  IFS=: read -r name ranks sets <<<"$m"
  args=()
  if [ -n "${sets:-}" ]; then
    IFS=, read -r -a kv <<<"$sets"
    for s in "${kv[@]}"; do args+=(--set "mesh.$s"); done
  fi
  run "$name" "$ranks" "${args[@]}"
  names+=("$name")
done
"$py" - "$tmp" "${names[@]}" <<'PY'
import json, sys
tmp = sys.argv[1]
def load(name):
    return json.load(open("%s/%s.json" % (tmp, name)))["train"]
ref = load("np1")
bad = 0
print("np1: losses %s" % " ".join("%.8f" % s["loss"] for s in ref["steps"]))
for name in sys.argv[2:]:
    got = load(name)
    worst_l = max(abs(a["loss"] - b["loss"]) / abs(b["loss"]) for a, b in zip(got["steps"], ref["steps"]))
    worst_n = max(abs(a["grad_norm"] - b["grad_norm"]) / b["grad_norm"] for a, b in zip(got["steps"], ref["steps"]))
    same_steps = [s["step"] for s in got["steps"]] == [s["step"] for s in ref["steps"]]
    same_tpe = got.get("tokens_per_expert", []) == ref.get("tokens_per_expert", [])
    ok = same_steps and same_tpe and worst_l <= 1e-5 and worst_n <= 1e-5
    bad += not ok
    print("%-10s vs np1: max rel loss %.2e, max rel grad norm %.2e (limit 1e-5), tokens per expert %s %s"
          % (name, worst_l, worst_n, "equal" if same_tpe else "DIFFER", "ok" if ok else "FAIL"))
sys.exit(1 if bad else 0)
PY
moe=()
for n in np1 "${names[@]}"; do grep -q '"moe": {' "$tmp/$n.json" && moe+=("$tmp/$n.json"); done
if [ ${#moe[@]} -gt 0 ]; then "$py" "$here/moe_load.py" "${moe[@]}"; fi
