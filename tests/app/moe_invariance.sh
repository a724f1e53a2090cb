#!/usr/bin/env bash
# Issue 9's acceptance for the MoE-capable families, one debug deck per call
# (inputs/qwen3_debug.toml, inputs/qwen3_debugmodel_moe.toml,
# inputs/llama4_debug.toml, inputs/gpt_oss_debug.toml); every run has --verify-layout and its JSON report
# passes check_report.py (the family's init rules, written out there):
#  (a) one fingerprint at 1, 2 and 3 ranks, tp=2 at 2 and 4 ranks and, for a
#      MoE model, ep=2 at 2 ranks and ep=2 x dp_shard=2 at 4 ranks;
#  (b) bfloat16 gives one other fingerprint (1 and 3 ranks);
#  (c) with ep=2 the routed experts are Shard(0) over ep and everything else
#      Replicate over ep; (an ep=2 x tp=2 run at 4 ranks too); the planner (--dry-run --ranks N) reports the same
#      per-rank params and bytes as the real run;
#  (d) a dense model refuses ep=2 (exit status 2).
# Usage: moe_invariance.sh TITAN_APP MPIEXEC DECK
set -euo pipefail
app=$1
mpiexec=$2
deck=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run() {  # name ranks [--set ...]: prints the fingerprint
  local name=$1 n=$2
  shift 2
  "$mpiexec" -n "$n" --oversubscribe "$app" --quiet --verify-layout "$deck" --report-json "$tmp/$name.json" "$@" \
    > "$tmp/$name.txt"
  python3 tests/app/check_report.py "$tmp/$name.json" > "$tmp/$name.check" || { cat "$tmp/$name.check"; exit 1; }
  grep -q '"layout_verified": true' "$tmp/$name.json" || { echo "FAIL: $name: layout not verified"; exit 1; }
  sed -n 's/.*fingerprint=\(0x[0-9a-f]*\).*/\1/p' "$tmp/$name.txt"
}

moe=$("$app" --dry-run --quiet "$deck" --report-json "$tmp/plan.json" > /dev/null &&
      python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(int(any('.moe.' in p['fqn'] for p in r['parameters'])))" "$tmp/plan.json")

declare -A fp
fp[np1]=$(run np1 1)
fp[np2]=$(run np2 2)
fp[np3]=$(run np3 3)
fp[tp2_np2]=$(run tp2_np2 2 --set mesh.tp=2)
fp[tp2_np4]=$(run tp2_np4 4 --set mesh.tp=2)
if [ "$moe" = 1 ]; then
  fp[ep2_np2]=$(run ep2_np2 2 --set mesh.ep=2)
  fp[ep2_dp2_np4]=$(run ep2_dp2_np4 4 --set mesh.ep=2 --set mesh.dp_shard=2)
  fp[ep2_tp2_np4]=$(run ep2_tp2_np4 4 --set mesh.ep=2 --set mesh.tp=2)
fi
b1=$(run bf16_np1 1 --set run.dtype=bfloat16)
b3=$(run bf16_np3 3 --set run.dtype=bfloat16)
for k in "${!fp[@]}"; do echo "$deck float32 $k ${fp[$k]}"; done | sort
echo "$deck bfloat16 np1 $b1 np3 $b3"
for k in "${!fp[@]}"; do
  [ -n "${fp[$k]}" ] && [ "${fp[$k]}" = "${fp[np1]}" ] || { echo "FAIL: $k fingerprint ${fp[$k]} != np1 ${fp[np1]}"; exit 1; }
done
[ -n "$b1" ] && [ "$b1" = "$b3" ] || { echo "FAIL: bfloat16 fingerprints differ"; exit 1; }
[ "$b1" != "${fp[np1]}" ] || { echo "FAIL: bfloat16 did not change the fingerprint"; exit 1; }

if [ "$moe" = 1 ]; then
  for name in ep2_np2 ep2_dp2_np4; do
    n=${name##*np}
    sets=(--set mesh.ep=2)
    [ "$name" = ep2_dp2_np4 ] && sets+=(--set mesh.dp_shard=2)
    "$app" --quiet --dry-run --ranks "$n" "${sets[@]}" "$deck" --report-json "$tmp/$name.plan.json" > /dev/null
    python3 - "$tmp/$name.json" "$tmp/$name.plan.json" <<'PY'
import json, re, sys
real, plan = (json.load(open(f)) for f in sys.argv[1:3])
bad = []
for p in real["parameters"]:
    expert = re.search(r"\.moe\.experts\.(w[123]|mlp[12]_(weight|bias))$", p["fqn"]) is not None
    want = "Shard(0)" if expert else "Replicate"
    if p["placements"]["ep"] != want:
        bad.append("%s: ep placement %s, expected %s" % (p["fqn"], p["placements"]["ep"], want))
for k in ["min_per_rank", "max_per_rank", "bytes_min_per_rank", "bytes_max_per_rank", "bytes_avg_per_rank"]:
    if real["params"][k] != plan["params"][k]:
        bad.append("params.%s: real %s, planned %s" % (k, real["params"][k], plan["params"][k]))
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
  done
else
  status=0
  "$mpiexec" -n 2 --oversubscribe "$app" --quiet "$deck" --set mesh.ep=2 > "$tmp/ep.txt" 2>&1 || status=$?
  [ "$status" = 2 ] || { echo "FAIL: a dense model with ep = 2 exited with $status, not 2"; exit 1; }
  grep -q "has no routed experts to split" "$tmp/ep.txt" || { cat "$tmp/ep.txt"; exit 1; }
fi
echo "moe invariance OK: $deck"
