#!/usr/bin/env bash
# Issue 19, class 3: the memory guard counts the forward pass (activations,
# logits, gather pools and staging, MoE buffers, token ids, the dump) before
# anything is allocated, and says which batch would fit; a tokens file is
# held to [forward]'s batch bounds; a failure inside the pass (an allocation
# the guard was told to ignore with --force) ends every rank through the
# collective error path: one message, exit 1, no MPI_Abort.
# The node's memory is pretended ([debug] memory_available) so that the
# verdicts do not depend on this machine; every run is held to 4 GiB of
# address space per rank (ulimit -v), so a regression fails instead of
# swapping the machine.
# Usage: forward_memory.sh TITAN_APP MPIEXEC
set -euo pipefail
app=$(realpath "$1")
mpiexec=$2
src=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
export OMPI_MCA_odls_base_sigkill_timeout=0

# Under AddressSanitizer (its shadow memory needs terabytes of address
# space) no address-space limit can be set: the guard's refusals are checked
# without one, the allocation failures (part c) not at all.
asan=0
if ldd "$app" 2> /dev/null | grep -q libasan; then asan=1; fi
run() {  # ranks, address-space KiB, args...: sets rc; stdout/stderr in $tmp/out, $tmp/err
  local n=$1 kib=$2
  shift 2
  [ "$asan" -eq 0 ] || kib=unlimited
  set +e
  "$mpiexec" -n "$n" --oversubscribe bash -c 'ulimit -v "$0" && exec "$@"' "$kib" "$app" --quiet "$@" \
    > "$tmp/out" 2> "$tmp/err"
  rc=$?
  set -e
}
expect() {  # status, regex, what
  [ "$rc" -eq "$1" ] || { cat "$tmp/err"; fail "$3: exit status $rc, not $1"; }
  if [ "$1" -ne 0 ]; then
    [ "$(cat "$tmp/out" "$tmp/err" | grep -c 'titan_app: error')" -eq 1 ] || { cat "$tmp/err"; fail "$3: not one message"; }
    ! grep -q 'titan_app: error on rank' "$tmp/err" || { cat "$tmp/err"; fail "$3: a rank took the abort path"; }
  fi
  grep -Eq -e "$2" "$tmp/out" "$tmp/err" || { cat "$tmp/err"; fail "$3: output does not match: $2"; }
}
limit=4194304  # KiB

# (a) Refused up front (the injected failure in the build phase would give
#     exit 1 had the guard let the run on), every decoder family, 1 and 2
#     ranks: the model fits in 3 GB, its forward pass does not; the message
#     gives the batch that would.
for n in 1 2; do
  for deck in llama3_debug qwen3_debugmodel_moe deepseek_v3_debug gpt_oss_debug; do
    run "$n" $limit "$src/inputs/$deck.toml" --forward --set forward.batch=2048 --set forward.seq_len=256 \
      --set debug.memory_available=3000000000 --set debug.fail_rank=0 --set debug.fail_phase=build
    expect 2 "not enough memory: .*forward pass [0-9.]+ GiB \(activations [0-9.]+ [MG]iB, logits .*; the model fits, its work does not: the forward pass at batch = 2048, seq_len = 256 needs [0-9.]+ GiB on rank 0; at most forward\.batch = [0-9]+ fits at seq_len = 256 on th" \
      "$deck at $n ranks"
  done
  # The issue's command: 2^20 sequences of 2 tokens, 66 GiB of forward on one rank.
  run "$n" $limit "$src/inputs/llama3_debug.toml" --forward --set forward.batch=1048576 --set forward.seq_len=2 \
    --set debug.memory_available=20000000000
  expect 2 "the forward pass at batch = 1048576, seq_len = 2 needs [0-9.]+ GiB on rank 0; at most forward\.batch = [0-9]+ fits" \
    "batch 1048576 at $n ranks"
done
# The advice is the guard's own boundary (at 1 rank it is exact): the batch
# it names passes the guard, one more does not.
run 1 $limit "$src/inputs/qwen3_debugmodel_moe.toml" --forward --set forward.batch=1024 --set forward.seq_len=32 \
  --set debug.memory_available=1900000000
expect 2 "at most forward\.batch = [0-9]+ fits" "qwen3 advice"
b=$(grep -o 'at most forward\.batch = [0-9]*' "$tmp/err" | grep -o '[0-9]*$')
run 1 $limit "$src/inputs/qwen3_debugmodel_moe.toml" --forward --set forward.batch="$b" --set forward.seq_len=32 \
  --set debug.memory_available=1900000000
expect 0 "TITAN_SUMMARY ranks=1 " "qwen3 at the advised batch $b"
run 1 $limit "$src/inputs/qwen3_debugmodel_moe.toml" --forward --set forward.batch=$((b + 1)) --set forward.seq_len=32 \
  --set debug.memory_available=1900000000
expect 2 "at most forward\.batch = $b fits" "qwen3 at the advised batch + 1"
echo "guard: forward pass counted, advice at the boundary (batch $b)"

# (b) A tokens file is bounded like [forward] batch: [2097152, 2] is refused.
python3 - "$tmp/tokens.safetensors" 2097152 2 <<'PY'
import json, struct, sys
path, b, t = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
h = json.dumps({"tokens": {"dtype": "I64", "shape": [b, t], "data_offsets": [0, 8 * b * t]}}).encode()
h += b" " * (-len(h) % 8)
with open(path, "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h)
    f.truncate(8 + len(h) + 8 * b * t)  # zeros: token 0
PY
for n in 1 2; do
  run "$n" $limit "$src/inputs/llama3_debug.toml" --forward --set forward.tokens_file="\"$tmp/tokens.safetensors\""
  expect 2 "tokens_file .*tokens\.safetensors: tensor 'tokens' has shape \[2097152, 2\]: batch 2097152 exceeds the cap of 1048576 sequences" \
    "tokens file [2097152, 2] at $n ranks"
  # The dump's size is bounded up front too (B * T * V > 2^31 - 1).
  run "$n" $limit "$src/inputs/llama3_debug.toml" --set forward.batch=1024 --set forward.seq_len=1024 \
    --dump-logits "$tmp/l.safetensors"
  expect 2 "--dump-logits: the logits \[1024, 1024, 2048\] hold 2147483648 values; at most 2147483647" "dump at $n ranks"
done

if [ "$asan" -eq 1 ]; then
  echo "forward memory OK (part c, allocation failures under ulimit -v, skipped under AddressSanitizer)"
  exit 0
fi
# (c) A failure inside the pass: --force past the guard, 1.5 GiB of address
#     space, a pass whose logits alone take 2 GB per rank (the pass allocates
#     them first): exit 1, one message.
run 1 1500000 "$src/inputs/llama3_debug.toml" --force --forward --set forward.batch=2048 --set forward.seq_len=128
expect 1 "titan_app: error: forward: allocating the pass's [0-9.]+ GiB of buffers failed" "allocation failure at 1 rank"
run 2 1500000 "$src/inputs/llama3_debug.toml" --force --forward --set forward.batch=4096 --set forward.seq_len=128
expect 1 "titan_app: error: forward: allocating the pass's [0-9.]+ GiB of buffers failed" "allocation failure at 2 ranks"
# Only rank 0 fails (3 sequences: 2 on rank 0, 1 on rank 1; logits of 2.1 GB vs 1.1 GB, allocated first).
run 2 1800000 "$src/inputs/llama3_debug.toml" --force --forward --set forward.batch=3 --set forward.seq_len=131072 \
  --set model.max_seq_len=131072
expect 1 "titan_app: error: forward: allocating .*failed" "allocation failure on one of 2 ranks"
echo "forward memory OK"
