#!/usr/bin/env bash
# Issue 3's acceptance on the debug deck; every run has --verify-layout:
#  (a) one fingerprint for the meshes (dp_shard x tp) 1x1, 2x1, 1x2, 3x1 and
#      2x2 (4 ranks, oversubscribed), each with layout_verified = true;
#  (b) tok_embeddings.weight moved to Shard(1) on tp (a deck override):
#      the report's placements change, the fingerprint does not;
#  (c) the planner (--dry-run --ranks N, one process) reports the same
#      per-rank params and bytes (min, max, avg), largest shard and placements
#      as the real run on N ranks, for every mesh here;
#  (e) vocab_size = 1 (empty embedding/output shards on all ranks but one):
#      the same fingerprint on 1, 3 and 4 ranks.
# Usage: mesh_invariance.sh TITAN_APP MPIEXEC
set -euo pipefail
app=$1
mpiexec=$2
deck=inputs/llama3_debug.toml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
override='sharding.overrides."tok_embeddings.weight".tp=Shard(1)'

cases=()
run_case() {  # name dp_shard tp [--set ...]: real run on dp_shard*tp ranks and its plan
  local name=$1 dp=$2 tp=$3
  shift 3
  local n=$((dp * tp))
  local args=(--quiet --verify-layout --set run.repeat=1 --set mesh.dp_shard="$dp" --set mesh.tp="$tp" "$@" "$deck")
  "$mpiexec" -n "$n" --oversubscribe "$app" "${args[@]}" --report-json "$tmp/$name.real.json" > "$tmp/$name.real.txt"
  "$mpiexec" -n 1 "$app" "${args[@]}" --dry-run --ranks "$n" --report-json "$tmp/$name.plan.json" > "$tmp/$name.plan.txt"
  python3 tests/app/check_report.py "$tmp/$name.real.json" > "$tmp/$name.check.txt" || { cat "$tmp/$name.check.txt"; exit 1; }
  cases+=("$name")
}

run_case m1x1 1 1
run_case m2x1 2 1
run_case m1x2 1 2
run_case m3x1 3 1
run_case m2x2 2 2
run_case override_1x2 1 2 --set "$override"
run_case override_2x2 2 2 --set "$override"
run_case vocab1_1x1 1 1 --set model.vocab_size=1
run_case vocab1_3x1 3 1 --set model.vocab_size=1
run_case vocab1_2x2 2 2 --set model.vocab_size=1

python3 - "$tmp" "${cases[@]}" <<'PY'
import json, sys
tmp, names = sys.argv[1], sys.argv[2:]
real = {n: json.load(open("%s/%s.real.json" % (tmp, n))) for n in names}
plan = {n: json.load(open("%s/%s.plan.json" % (tmp, n))) for n in names}
failures = []
def check(cond, what):
    if not cond:
        failures.append(what)

def placements(report, fqn):
    return next(p["placements"] for p in report["parameters"] if p["fqn"] == fqn)

for n in names:
    r, p = real[n], plan[n]
    check(r.get("layout_verified") is True, "%s: layout_verified is %r" % (n, r.get("layout_verified")))
    check(p.get("layout_verified") is True, "%s (plan): layout_verified is %r" % (n, p.get("layout_verified")))
    check(r["mesh"] == p["mesh"], "%s: mesh %s vs plan %s" % (n, r["mesh"], p["mesh"]))
    for k in ["min_per_rank", "max_per_rank", "bytes_min_per_rank", "bytes_max_per_rank", "bytes_avg_per_rank",
              "imbalance", "largest_shard_bytes", "largest_shard_fqn", "total"]:
        check(r["params"].get(k) == p["params"].get(k),
              "%s: params.%s real %r != planned %r" % (n, k, r["params"].get(k), p["params"].get(k)))
    check([q["placements"] for q in r["parameters"]] == [q["placements"] for q in p["parameters"]],
          "%s: placements differ between the real run and the plan" % n)
    print("%-13s mesh %-40s fingerprint %s  bytes/rank %d..%d  imbalance %.4f  verified %s" % (
        n, r["mesh"], r["fingerprint"], r["params"]["bytes_min_per_rank"], r["params"]["bytes_max_per_rank"],
        r["params"]["imbalance"], r["layout_verified"]))

base = real["m1x1"]["fingerprint"]
for n in ["m2x1", "m1x2", "m3x1", "m2x2", "override_1x2", "override_2x2"]:
    check(real[n]["fingerprint"] == base, "%s: fingerprint %s != 1x1's %s" % (n, real[n]["fingerprint"], base))
v1 = real["vocab1_1x1"]["fingerprint"]
check(v1 != base, "vocab_size = 1 did not change the fingerprint")
for n in ["vocab1_3x1", "vocab1_2x2"]:
    check(real[n]["fingerprint"] == v1, "%s: fingerprint %s != 1 rank's %s" % (n, real[n]["fingerprint"], v1))
check(real["vocab1_2x2"]["params"]["min_per_rank"] < real["vocab1_2x2"]["params"]["max_per_rank"],
      "vocab1_2x2: expected uneven ranks (empty embedding shards)")

for n in ["override_1x2", "override_2x2"]:
    check(placements(real[n], "tok_embeddings.weight")["tp"] == "Shard(1)",
          "%s: tok_embeddings.weight placements %s" % (n, placements(real[n], "tok_embeddings.weight")))
check(placements(real["m1x2"], "tok_embeddings.weight")["tp"] == "Shard(0)", "default tok_embeddings tp placement")
check(placements(real["override_2x2"], "output.weight") == placements(real["m2x2"], "output.weight"),
      "the override changed output.weight")

if failures:
    print("FAIL:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("mesh invariance OK")
PY
