#!/usr/bin/env bash
# A failure in the middle of a block ([debug] fail_module): rank FAIL_RANK
# throws inside the forward of MODULE in the first training step, while its
# tp or ep peers go on to the block's next all-reduce or all-to-all. Before
# each of those every rank agrees that none has failed
# (StepContext::before_collective), so the whole job must exit with status 1
# within the hang bound (10 s, or TITAN_HANG_BOUND_S), rank 0 printing the
# failing rank's message once, no rank taking the abort path, no summary and
# no report file. Without the agreement the peers wait in the collective for
# the rank that failed: a hang, which the bound turns into a failure.
# Usage: fault_in_block.sh TITAN_APP MPIEXEC RANKS FAIL_RANK DECK MODULE [--set k=v ...]
set -uo pipefail
. "$(dirname "$0")/fault_checks.sh"
app=$1 mpiexec=$2 ranks=$3 fail_rank=$4 deck=$5 module=$6
shift 6
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bound=${TITAN_HANG_BOUND_S:-10}
timeout -k 5 "$bound" "$mpiexec" -n "$ranks" --oversubscribe "$app" --quiet "$deck" --train \
  --set train.steps=2 --set debug.fail_rank="$fail_rank" --set debug.fail_phase=train \
  --set debug.fail_module="$module" --report-json "$tmp/report.json" "$@" > "$tmp/out" 2> "$tmp/err"
rc=$?

fail() {
  echo "FAIL ($ranks ranks, rank $fail_rank fails in $module): $*"
  echo "--- stdout"; cat "$tmp/out"; echo "--- stderr"; cat "$tmp/err"
  exit 1
}
expected="titan_app: error: injected failure in module $module (training step 1)$(on_rank_suffix "$fail_rank")"
check_fault_exit "$rc" "$bound" "$expected" "$tmp/out" "$tmp/err"
[ ! -e "$tmp/report.json" ] || fail "a report was written by a failed run"
echo "ok: $ranks ranks, rank $fail_rank failed in $module, every rank exited with status 1 (rc $rc)"
