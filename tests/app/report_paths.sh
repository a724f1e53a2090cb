#!/usr/bin/env bash
# Issue 12: where --report-json may write. A symbolic link is followed (its
# target replaced atomically, the link kept); a FIFO (also behind a link) is
# refused and left as it was; the deck itself, an empty path are refused; a
# 250-character file name works; a run stopped by SIGINT/SIGTERM leaves no
# temporary behind. Each refusal: exit status 2, one message.
# Usage: report_paths.sh TITAN_APP MPIEXEC
set -euo pipefail
app=$1
mpiexec=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
export OMPI_MCA_odls_base_sigkill_timeout=0
printf '[run]\nseed = 4\n\n[model]\nn_layers = 1\ndim = 32\nn_heads = 2\n' > "$tmp/deck.toml"

refused() {  # ranks, expected message (grep -E), args...
  local n=$1 expect=$2
  shift 2
  set +e
  "$mpiexec" -n "$n" --oversubscribe "$app" --quiet "$@" > "$tmp/out" 2> "$tmp/err"
  local rc=$?
  set -e
  [ "$rc" -eq 2 ] || { cat "$tmp/err"; fail "$*: exit status $rc, not 2"; }
  [ "$(cat "$tmp/out" "$tmp/err" | grep -c 'titan_app: error')" -eq 1 ] || { cat "$tmp/err"; fail "$*: not one message"; }
  grep -Eq -e "$expect" "$tmp/err" || { cat "$tmp/err"; fail "$*: message does not match $expect"; }
}

for n in 1 2; do
  # A symlink: the target gets the report, the link stays a link.
  echo older > "$tmp/target.json"
  ln -sfn target.json "$tmp/link.json"
  "$mpiexec" -n "$n" --oversubscribe "$app" --quiet --report-json="$tmp/link.json" "$tmp/deck.toml" > "$tmp/out"
  [ -L "$tmp/link.json" ] || fail "the link was replaced"
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["world_size"]==int(sys.argv[2])' "$tmp/target.json" "$n" ||
    fail "the link's target does not hold the report"

  # A FIFO, directly or behind a link: refused, left in place.
  rm -f "$tmp/fifo"; mkfifo "$tmp/fifo"; ln -sfn fifo "$tmp/fifo_link"
  refused "$n" "--report-json .*/fifo: cannot write there \(it is a FIFO\)" --report-json "$tmp/fifo" "$tmp/deck.toml"
  refused "$n" "--report-json .*/fifo_link: cannot write there \(it is a FIFO\)" --report-json "$tmp/fifo_link" "$tmp/deck.toml"
  [ -p "$tmp/fifo" ] && [ -L "$tmp/fifo_link" ] || fail "the FIFO or its link was replaced"

  # The deck itself (also through another name for it) and an empty path.
  cp "$tmp/deck.toml" "$tmp/keep.toml"
  refused "$n" "is the same file as the input deck" --report-json "$tmp/deck.toml" "$tmp/deck.toml"
  ln -f "$tmp/deck.toml" "$tmp/hardlink.toml"
  refused "$n" "is the same file as the input deck" --report-json "$tmp/hardlink.toml" "$tmp/deck.toml"
  cmp -s "$tmp/deck.toml" "$tmp/keep.toml" || fail "the deck was overwritten"
  refused "$n" "--report-json: the path is empty" --report-json "" "$tmp/deck.toml"
  refused "$n" "--report-json: the path is empty" --report-json= "$tmp/deck.toml"

  # Not a path rule, but the same kind of check: a --set holding line breaks
  # would inject whole tables into the deck; it is refused.
  refused "$n" "--set run\.seed=1[\]n\[model\][\]nn_layers=1: a --set may not contain a line break or NUL" \
    --set $'run.seed=1\n[model]\nn_layers=1' "$tmp/deck.toml"

  # A legal 250-character name.
  long=$(printf 'r%.0s' $(seq 245)).json
  "$mpiexec" -n "$n" --oversubscribe "$app" --quiet --report-json "$tmp/$long" "$tmp/deck.toml" > "$tmp/out"
  [ -s "$tmp/$long" ] || fail "no report under a 250-character name"
  rm -f "$tmp/$long"
done

# Stopped while running (a long init: repeat = 1000): no temporary, no report.
mkdir "$tmp/stop"
for sig in INT TERM; do
  # About 6 million parameters initialized 1000 times: minutes of work, so
  # the signal after 2 s always finds the run in init_states.
  "$mpiexec" -n 2 --oversubscribe "$app" --quiet --report-json "$tmp/stop/r.json" --set run.repeat=1000 \
    --set model.n_layers=6 --set model.dim=256 --set model.n_heads=16 "$tmp/deck.toml" > /dev/null 2>&1 &
  job=$!
  sleep 2
  kill -s "$sig" "$job" 2>/dev/null || fail "the run ended before SIG$sig (it should take minutes)"
  wait "$job" || true
  left=$(ls -A "$tmp/stop")
  [ -z "$left" ] || fail "SIG$sig left files behind: $left"
done
echo "report paths OK"
