# Sourced by the fault tests (fault_injection.sh, fault_in_block.sh): what
# every injected fault must end in. The caller defines fail() (prints its
# context and exits 1).
# check_fault_exit RC BOUND EXPECTED_LINE STDOUT_FILE STDERR_FILE:
# the job exited (not killed at the hang bound) with status 1, rank 0 printed
# EXPECTED_LINE once and no other error, no rank took the abort path, no
# summary was printed.
check_fault_exit() {
  local rc=$1 bound=$2 expected=$3 out=$4 err=$5
  [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || fail "no exit within $bound s (a hang: some rank waits in a collective)"
  [ "$rc" -eq 1 ] || fail "exit status $rc, expected 1 (a fault)"
  [ "$(grep -cxF "$expected" "$err")" -eq 1 ] || fail "stderr lacks the line: $expected"
  [ "$(cat "$out" "$err" | grep -c 'titan_app: error')" -eq 1 ] || fail "more than one error message"
  ! grep -q 'titan_app: error on rank' "$err" || fail "a rank took the abort path"
  ! grep -q 'TITAN_SUMMARY' "$out" || fail "a failed run printed its summary"
}

# on_rank_suffix R: how rank 0's message names a failure of rank R ("" for rank 0 itself).
on_rank_suffix() {
  [ "$1" -eq 0 ] || echo " (on rank $1)"
}
