#!/usr/bin/env bash
# Fault injection ([debug] fail_rank / fail_phase): rank FAIL_RANK throws in
# PHASE (with the flags that make it run). The whole job must exit with status 1 within 10 s (a hang bound, not
# a speed claim; TITAN_HANG_BOUND_S changes it: the sanitizer suite's
# instrumented build takes several times as long to reach a phase), rank 0 printing the failing rank's message exactly once, no
# rank taking the abort path, no summary printed; and the --report-json path
# must be as it was before the run (holding an older report with OLDER=older,
# absent with OLDER=none), with no temporary left.
# Usage: fault_injection.sh TITAN_APP MPIEXEC RANKS FAIL_RANK PHASE OLDER
set -uo pipefail
. "$(dirname "$0")/fault_checks.sh"
app=$1
mpiexec=$2
ranks=$3
fail_rank=$4
phase=$5
older=$6
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
report=$tmp/report.json
old='{"program": "an older report"}'
[ "$older" = none ] || echo "$old" > "$report"

# What makes the phase run (the driver's phase list, src/titan/app/run_phases.cpp).
case $phase in
  plan) extra=(--dry-run) ;;
  verify) extra=(--verify) ;;
  forward) extra=(--forward) ;;
  train) extra=(--train --set train.steps=2) ;;
  save) extra=(--save "$tmp/ck") ;;
  verify_layout) extra=(--verify-layout) ;;
  *) extra=() ;;
esac
start=$(date +%s%N)
bound=${TITAN_HANG_BOUND_S:-10}
timeout -k 5 "$bound" "$mpiexec" -n "$ranks" --oversubscribe "$app" --quiet inputs/llama3_debug.toml \
  --set debug.fail_rank="$fail_rank" --set debug.fail_phase="$phase" --report-json "$report" "${extra[@]}" \
  > "$tmp/out" 2> "$tmp/err"
rc=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))

fail() {
  echo "FAIL ($ranks ranks, rank $fail_rank fails in $phase): $*"
  echo "--- stdout"; cat "$tmp/out"; echo "--- stderr"; cat "$tmp/err"
  exit 1
}
expected="titan_app: error: injected failure on rank $fail_rank in phase $phase$(on_rank_suffix "$fail_rank")"
check_fault_exit "$rc" "$bound" "$expected" "$tmp/out" "$tmp/err"
if [ "$older" = none ]; then
  [ ! -e "$report" ] || fail "a report was written by a failed run"
else
  [ "$(cat "$report")" = "$old" ] || fail "the older report was replaced"
fi
# A save's temporary directory never stays; the checkpoint itself is complete
# when the fault comes at the end of the save phase (it was committed first).
leftovers=$(find "$tmp" -name '*report.json*' ! -name report.json; find "$tmp" -maxdepth 1 -name 'ck.*')
if [ "$phase" = save ]; then
  [ -f "$tmp/ck/model.safetensors.index.json" ] || fail "the save phase ended without its checkpoint"
fi
[ -z "$leftovers" ] || fail "temporary left behind: $leftovers"
echo "OK: $ranks ranks, rank $fail_rank fails in $phase: exit 1 after ${elapsed_ms} ms; report path as before ($older), no temporary"
