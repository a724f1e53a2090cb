#!/usr/bin/env bash
# Issue 16, item 5: --load of a training checkpoint resumes it. 2 steps +
# --save + --load + 2 more steps gives the losses, gradient norms and trained
# weights (fingerprint) of 4 steps in one run: bit for bit on the same mesh
# (float32; bfloat16 with its float32 masters; an MoE deck whose expert_bias
# is updated by load balancing), and within 1e-6 relative on another mesh
# (the reductions' order changes). Two layers of each debug model: what is
# saved and loaded is the same per layer. Every run uses total_steps = 4 so that the
# learning-rate schedule is the 4-step run's.
# Usage: resume.sh TITAN_APP MPIEXEC
set -euo pipefail
app=$1
mpiexec=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=python3
for p in /usr/bin/python3 python3; do
  if "$p" -c "import json" 2> /dev/null; then py=$p; break; fi
done
common=(--quiet --set train.batch=2 --set train.seq_len=32 --set train.total_steps=4 --set train.warmup_steps=2
        --set checkpoint.write_speed_sample_bytes=0)

# case name, ranks of the first half, ranks of the second half, tolerance ("exact" or a relative bound), deck, sets...
check() {
  local name=$1 n1=$2 n2=$3 tol=$4 deck=$5
  shift 5
  local d=$tmp/$name
  mkdir -p "$d"
  "$mpiexec" -n "$n1" --oversubscribe "$app" "$deck" "${common[@]}" "$@" --train --set train.steps=4 \
    --report-json "$d/all.json" > /dev/null
  "$mpiexec" -n "$n1" --oversubscribe "$app" "$deck" "${common[@]}" "$@" --train --set train.steps=2 \
    --save "$d/ck" --report-json "$d/first.json" > /dev/null
  [ -f "$d/ck/optimizer/model.safetensors.index.json" ] || { echo "FAIL $name: no optimizer state saved"; exit 1; }
  "$mpiexec" -n "$n2" --oversubscribe "$app" "$deck" "${common[@]}" "$@" --train --set train.steps=4 \
    --load "$d/ck" --report-json "$d/second.json" > /dev/null
  "$py" - "$name" "$tol" "$d" << 'PY'
import json, sys
name, tol, d = sys.argv[1], sys.argv[2], sys.argv[3]
load = lambda f: json.load(open(f"{d}/{f}"))["train"]
a, b, c = load("all.json"), load("first.json"), load("second.json")
whole = [(s["step"], s["loss"], s["grad_norm"]) for s in a["steps"]]
parts = [(s["step"], s["loss"], s["grad_norm"]) for s in b["steps"] + c["steps"]]
assert [s for s, _, _ in parts] == [1, 2, 3, 4], f"{name}: resumed steps {[s for s, _, _ in parts]}"
worst = 0.0
for (s, l1, g1), (_, l2, g2) in zip(whole, parts):
    for x, y in ((l1, l2), (g1, g2)):
        if tol == "exact":
            assert x == y, f"{name}: step {s}: {x!r} in one run, {y!r} resumed"
        worst = max(worst, abs(x - y) / abs(x))
if tol == "exact":
    assert a["fingerprint"] == c["fingerprint"], f"{name}: trained weights {a['fingerprint']} vs resumed {c['fingerprint']}"
else:
    assert worst <= float(tol), f"{name}: resumed losses/grad norms differ by {worst:.3g} relative (> {tol})"
print(f"{name}: 4 steps = 2 + save + load + 2 ({'bit for bit, fingerprint ' + a['fingerprint'] if tol == 'exact' else f'max relative difference {worst:.2g}'}); "
      f"losses {', '.join('%.7f' % l for _, l, _ in whole)}")
PY
}

check llama3_fp32 2 2 exact inputs/llama3_debug.toml --set model.n_layers=2
check llama3_bf16 2 2 exact inputs/llama3_debug.toml --set model.n_layers=2 --set run.dtype=bfloat16
check qwen3_moe 2 2 exact inputs/qwen3_debugmodel_moe.toml --set model.n_layers=2
check llama3_other_mesh 2 3 1e-6 inputs/llama3_debug.toml --set model.n_layers=2
echo "resume OK"
