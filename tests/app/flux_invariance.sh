#!/usr/bin/env bash
# Flux (issue 9) on its debug deck, every run with --verify-layout:
#  - one fingerprint at 1, 2 and 3 ranks (FSDP over dp_shard), each report
#    with layout_verified = true and passing check_report.py (Flux's init
#    rules, written out there independently of titan_app);
#  - bfloat16 gives another fingerprint, the same at 1 and 3 ranks;
#  - the checker catches a wrong xavier bound and a wrong statistic.
# Usage: flux_invariance.sh TITAN_APP MPIEXEC
set -euo pipefail
app=$1
mpiexec=$2
deck=inputs/flux_debug.toml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fingerprint() {  # ranks, extra args...
  local n=$1
  shift
  "$mpiexec" -n "$n" --oversubscribe "$app" --quiet --verify-layout "$deck" --report-json "$tmp/r.json" "$@" > "$tmp/out.txt"
  python3 tests/app/check_report.py "$tmp/r.json" > "$tmp/check.txt" || { cat "$tmp/check.txt" >&2; exit 1; }
  python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); sys.exit(0 if r.get("layout_verified") is True else 1)' \
    "$tmp/r.json" || { echo "FAIL: layout not verified at $n ranks $*" >&2; exit 1; }
  sed -n 's/.*fingerprint=\(0x[0-9a-f]*\).*/\1/p' "$tmp/out.txt"
}

f1=$(fingerprint 1)
f2=$(fingerprint 2)
f3=$(fingerprint 3)
b1=$(fingerprint 1 --set run.dtype=bfloat16)
b3=$(fingerprint 3 --set run.dtype=bfloat16)
echo "flux-debug float32: np1 $f1, np2 $f2, np3 $f3; bfloat16: np1 $b1, np3 $b3"
[ -n "$f1" ] && [ "$f1" = "$f2" ] && [ "$f1" = "$f3" ] || { echo "FAIL: float32 fingerprints differ"; exit 1; }
[ -n "$b1" ] && [ "$b1" = "$b3" ] || { echo "FAIL: bfloat16 fingerprints differ"; exit 1; }
[ "$b1" != "$f1" ] || { echo "FAIL: bfloat16 did not change the fingerprint"; exit 1; }

# The checker must catch a wrong xavier bound (the rule) and a wrong std (the moments).
python3 - "$tmp/r.json" "$tmp/bound.json" "$tmp/std.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
p = next(q for q in r["parameters"] if q["fqn"] == "txt_in.weight")
p["init_spec"]["b"] *= 1.01
json.dump(r, open(sys.argv[2], "w"))
p["init_spec"]["b"] /= 1.01
p["std"] *= 1.05
json.dump(r, open(sys.argv[3], "w"))
PY
for t in bound std; do
  if python3 tests/app/check_report.py "$tmp/$t.json" > /dev/null; then echo "FAIL: report with a wrong $t passed"; exit 1; fi
done
echo "flux invariance OK"
