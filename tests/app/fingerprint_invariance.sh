#!/usr/bin/env bash
# Runs titan_app on the debug deck at 1, 2 and 3 ranks (and a 2-D mesh at 2)
# and checks: one fingerprint for every layout; bfloat16 gives another; each
# JSON report passes check_report.py; a tampered report fails it.
# Usage: fingerprint_invariance.sh TITAN_APP MPIEXEC
set -euo pipefail
app=$1
mpiexec=$2
deck=inputs/llama3_debug.toml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fingerprint() {  # ranks, extra args...
  local n=$1
  shift
  "$mpiexec" -n "$n" --oversubscribe "$app" --quiet "$deck" --report-json "$tmp/r.json" "$@" > "$tmp/out.txt"
  python3 tests/app/check_report.py "$tmp/r.json" > "$tmp/check.txt" || { cat "$tmp/check.txt"; exit 1; }
  sed -n 's/.*fingerprint=\(0x[0-9a-f]*\).*/\1/p' "$tmp/out.txt"
}

f1=$(fingerprint 1)
f2=$(fingerprint 2)
f3=$(fingerprint 3)
f22=$(fingerprint 2 --set mesh.tp=2)
b1=$(fingerprint 1 --set run.dtype=bfloat16)
b3=$(fingerprint 3 --set run.dtype=bfloat16)
echo "float32: np1 $f1, np2 $f2, np3 $f3, np2 tp=2 $f22; bfloat16: np1 $b1, np3 $b3"
[ -n "$f1" ] && [ "$f1" = "$f2" ] && [ "$f1" = "$f3" ] && [ "$f1" = "$f22" ] || { echo "FAIL: float32 fingerprints differ"; exit 1; }
[ "$b1" = "$b3" ] || { echo "FAIL: bfloat16 fingerprints differ"; exit 1; }
[ "$b1" != "$f1" ] || { echo "FAIL: bfloat16 did not change the fingerprint"; exit 1; }

# The checker must catch a wrong statistic.
python3 - "$tmp/r.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["parameters"][1]["std"] *= 1.5
json.dump(r, open(sys.argv[1], "w"))
PY
if python3 tests/app/check_report.py "$tmp/r.json" > /dev/null; then echo "FAIL: tampered report passed"; exit 1; fi
echo "fingerprint invariance OK"
