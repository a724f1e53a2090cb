#!/usr/bin/env bash
# Issue 19, class 11: a checkpoint index or shard that is not a regular file
# (a FIFO, which would block every reader forever; a directory; a device)
# is refused by name with exit 2, within seconds, at 1 and 2 ranks; so is a
# FIFO as the tokens file. Nothing waits on the FIFOs (each run has 30 s).
# Usage: checkpoint_fifo.sh TITAN_APP MPIEXEC
set -euo pipefail
app=$(realpath "$1")
mpiexec=$2
src=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
export OMPI_MCA_odls_base_sigkill_timeout=0
deck=$src/inputs/llama3_debug.toml
small=(--quiet --set model.n_layers=1 --set checkpoint.write_speed_sample_bytes=0)
refused() {  # ranks, expected message (grep -E), args...
  local n=$1 expect=$2
  shift 2
  set +e
  timeout 30 "$mpiexec" -n "$n" --oversubscribe "$app" "${small[@]}" "$@" > "$tmp/out" 2> "$tmp/err"
  local rc=$?
  set -e
  [ "$rc" -ne 124 ] || fail "$*: still running after 30 s (blocked on a FIFO?)"
  [ "$rc" -eq 2 ] || { cat "$tmp/err"; fail "$*: exit status $rc, not 2"; }
  [ "$(cat "$tmp/out" "$tmp/err" | grep -c 'titan_app: error')" -eq 1 ] || { cat "$tmp/err"; fail "$*: not one message"; }
  grep -Eq -e "$expect" "$tmp/err" || { cat "$tmp/err"; fail "$*: message does not match: $expect"; }
}
"$mpiexec" -n 1 "$app" "${small[@]}" "$deck" --set checkpoint.max_file_bytes=1000000 --save "$tmp/good" > /dev/null
shard=model-00002-of-00007.safetensors
[ -f "$tmp/good/$shard" ] || fail "expected $shard in the fixture"
for c in fifo_index fifo_shard dir_shard dev_shard; do cp -r "$tmp/good" "$tmp/$c"; done
rm "$tmp/fifo_index/model.safetensors.index.json" && mkfifo "$tmp/fifo_index/model.safetensors.index.json"
rm "$tmp/fifo_shard/$shard" && mkfifo "$tmp/fifo_shard/$shard"
rm "$tmp/dir_shard/$shard" && mkdir "$tmp/dir_shard/$shard"
rm "$tmp/dev_shard/$shard" && ln -s /dev/zero "$tmp/dev_shard/$shard"
mkfifo "$tmp/tokens.fifo"
for n in 1 2; do
  refused "$n" "--load: the checkpoint index .*/fifo_index/model\.safetensors\.index\.json: not a regular file \(it is a FIFO\)" \
    "$deck" --load "$tmp/fifo_index"
  refused "$n" "--load: the checkpoint file .*/fifo_shard/$shard: not a regular file \(it is a FIFO\)" "$deck" --load "$tmp/fifo_shard"
  refused "$n" "--load: the checkpoint file .*/dir_shard/$shard: not a regular file \(it is a directory\)" "$deck" \
    --load "$tmp/dir_shard"
  refused "$n" "--load: the checkpoint file .*/dev_shard/$shard: not a regular file \(it is a character device\)" "$deck" \
    --load "$tmp/dev_shard"
  refused "$n" "\[forward\] tokens_file .*/tokens\.fifo: not a regular file \(it is a FIFO\)" "$deck" --forward \
    --set forward.tokens_file="\"$tmp/tokens.fifo\""
done
echo "non-regular checkpoint and tokens files refused: OK"
