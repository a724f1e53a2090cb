#!/usr/bin/env bash
# Issue 12: the deck is read once, by rank 0, and broadcast. The same deck
# from a file, piped on stdin (/dev/stdin) and through a FIFO must build the
# same model (one fingerprint) at 2 and 3 ranks; a deck over the 4 MiB limit
# on stdin is refused with one message and exit status 2.
# Usage: deck_stream.sh TITAN_APP MPIEXEC
set -euo pipefail
app=$1
mpiexec=$2
tmp=$(mktemp -d)
writer=
trap '[ -n "$writer" ] && kill "$writer" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

printf '[run]\nseed = 11\n\n[model]\nn_layers = 2\ndim = 64\nn_heads = 4\n' > "$tmp/deck.toml"
fp() { sed -n 's/.*TITAN_SUMMARY.*fingerprint=\(0x[0-9a-f]*\).*/\1/p' "$1"; }

for n in 2 3; do
  "$mpiexec" -n "$n" --oversubscribe "$app" --quiet "$tmp/deck.toml" > "$tmp/file.out"
  "$mpiexec" -n "$n" --oversubscribe "$app" --quiet /dev/stdin < "$tmp/deck.toml" > "$tmp/stdin.out"
  cat "$tmp/deck.toml" | "$mpiexec" -n "$n" --oversubscribe "$app" --quiet /dev/stdin > "$tmp/pipe.out"
  rm -f "$tmp/fifo"
  mkfifo "$tmp/fifo"
  cat "$tmp/deck.toml" > "$tmp/fifo" &
  writer=$!
  "$mpiexec" -n "$n" --oversubscribe "$app" --quiet "$tmp/fifo" > "$tmp/fifo.out"
  wait "$writer" || true
  writer=
  f=$(fp "$tmp/file.out"); s=$(fp "$tmp/stdin.out"); p=$(fp "$tmp/pipe.out"); q=$(fp "$tmp/fifo.out")
  echo "np$n: file $f, stdin $s, pipe $p, fifo $q"
  [ -n "$f" ] && [ "$f" = "$s" ] && [ "$f" = "$p" ] && [ "$f" = "$q" ] || fail "np$n: the fingerprints differ"
done
# The seed came through: another seed gives another model.
"$mpiexec" -n 2 --oversubscribe "$app" --quiet --set run.seed=12 /dev/stdin < "$tmp/deck.toml" > "$tmp/other.out"
[ "$(fp "$tmp/other.out")" != "$f" ] || fail "--set run.seed=12 did not change the model"

# Over the limit, from a stream: one message, exit status 2, all ranks exit.
set +e
head -c 5000000 /dev/zero | OMPI_MCA_odls_base_sigkill_timeout=0 "$mpiexec" -n 2 --oversubscribe "$app" /dev/stdin \
  > "$tmp/big.out" 2> "$tmp/big.err"
rc=$?
set -e
cat "$tmp/big.err"
[ "$rc" -eq 2 ] || fail "a 5 MB deck on stdin: exit status $rc, not 2"
[ "$(grep -c 'titan_app: error' "$tmp/big.out" "$tmp/big.err" | awk -F: '{s+=$2} END {print s}')" -eq 1 ] ||
  fail "not exactly one error message"
grep -q 'titan_app: error: /dev/stdin: the input deck is larger than the 4 MiB limit of an input deck' "$tmp/big.err" ||
  fail "the message does not name the file and the limit"
echo "deck streams OK"
