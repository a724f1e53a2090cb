#!/usr/bin/env bash
# Issue 19, class 10: a run stopped by SIGINT or SIGTERM while a --save is
# pending leaves nothing behind: not the temporary directory made up front
# (stopped during init_states), nor its half-written shards (stopped while
# the shards are written, 150 files of a 440 MB checkpoint through a 4 KiB
# staging buffer: about 2 s of writes), at 1 and 2 ranks. The handler's own
# behaviour (a file and a flat directory removed, the signal passed on, an
# ignored SIGHUP left ignored) is unit-tested in tests/unit/test_signal_cleanup.cpp.
# Usage: checkpoint_signals.sh TITAN_APP MPIEXEC
set -euo pipefail
app=$(realpath "$1")
mpiexec=$2
src=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
unset OMPI_MCA_odls_base_sigkill_timeout  # the ranks need the grace period to clean up
base=(--quiet --set checkpoint.write_speed_sample_bytes=0 --set model.n_layers=32 --set model.dim=512 --set model.n_heads=8)

stop_when() {  # signal, ranks, condition (a shell test run in the work dir), titan_app args...
  local sig=$1 n=$2 cond=$3
  shift 3
  rm -rf "$tmp/w" && mkdir "$tmp/w"
  (cd "$tmp/w" && exec "$mpiexec" -n "$n" --oversubscribe "$app" "${base[@]}" "$@" --save ck > /dev/null 2>&1) &
  local job=$! ok=0
  for _ in $(seq 600); do
    if (cd "$tmp/w" && eval "$cond"); then ok=1; break; fi
    sleep 0.05
  done
  [ "$ok" -eq 1 ] || { kill "$job" 2> /dev/null || true; wait "$job" || true; fail "never saw: $cond"; }
  kill -s "$sig" "$job" 2> /dev/null || fail "the run ended before SIG$sig"
  wait "$job" && fail "the run stopped by SIG$sig exited 0" || true
  local left
  left=$(ls -A "$tmp/w")
  [ -z "$left" ] || fail "SIG$sig at $n ranks ($cond) left: $left $(ls "$tmp"/w/* 2> /dev/null | head -3)"
}

deck=$src/inputs/llama3_debug.toml
for n in 1 2; do
  for sig in INT TERM; do
    # During init_states (repeat = 1000: minutes), the temporary directory already made.
    stop_when "$sig" "$n" 'ls -d ck.tmp.* > /dev/null 2>&1 && sleep 0.5' "$deck" --set run.repeat=1000
    # While the shards are written: two shards in the temporary directory.
    stop_when "$sig" "$n" '[ "$(ls ck.tmp.*/ 2> /dev/null | wc -l)" -ge 2 ]' "$deck" \
      --set checkpoint.buffer_bytes=4096 --set checkpoint.max_file_bytes=3000000
  done
done
echo "signals during --save leave nothing behind: OK"
