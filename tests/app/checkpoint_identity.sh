#!/usr/bin/env bash
# Issue 19, class 12: a titan_app checkpoint's metadata is compared with the
# deck before its tensors: the family, then the flavor, then the names it
# was saved with; the first that differs is named (exit 2, one message),
# instead of a tensor-level message or, worse, a load into another model.
# (The HF config.json check is issue 18's.) 1 and 2 ranks.
# Usage: checkpoint_identity.sh TITAN_APP MPIEXEC
set -euo pipefail
app=$(realpath "$1")
mpiexec=$2
src=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
export OMPI_MCA_odls_base_sigkill_timeout=0
small=(--quiet --set checkpoint.write_speed_sample_bytes=0)
refused() {  # ranks, expected message (grep -E), args...
  local n=$1 expect=$2
  shift 2
  set +e
  "$mpiexec" -n "$n" --oversubscribe "$app" "${small[@]}" "$@" > "$tmp/out" 2> "$tmp/err"
  local rc=$?
  set -e
  [ "$rc" -eq 2 ] || { cat "$tmp/err"; fail "$*: exit status $rc, not 2"; }
  [ "$(cat "$tmp/out" "$tmp/err" | grep -c 'titan_app: error')" -eq 1 ] || { cat "$tmp/err"; fail "$*: not one message"; }
  grep -Eq -e "$expect" "$tmp/err" || { cat "$tmp/err"; fail "$*: message does not match: $expect"; }
}
l3=$src/inputs/llama3_debug.toml
"$mpiexec" -n 1 "$app" "${small[@]}" "$l3" --set model.n_layers=2 --save "$tmp/llama3" > /dev/null
"$mpiexec" -n 1 "$app" "${small[@]}" "$l3" --set model.n_layers=2 --checkpoint-names hf --save "$tmp/llama3_hf" > /dev/null
"$mpiexec" -n 1 "$app" "${small[@]}" "$src/inputs/gpt_oss_debug.toml" --save "$tmp/gpt_oss" > /dev/null
# A 1B-flavored Llama3 shrunk to the debug model's shapes (the same tensors and shapes, another flavor).
as_1b=(--set model.flavor=1B --set model.dim=256 --set model.n_layers=2 --set model.n_heads=16 --set model.n_kv_heads=16
       --set model.vocab_size=2048 --set model.tie_embeddings=false --set model.ffn_dim_multiplier=1.0 --set model.multiple_of=256)
for n in 1 2; do
  refused "$n" "--load .*/llama3: the checkpoint holds a 'llama3' model \(its metadata's family\) but the deck builds 'llama4'" \
    "$src/inputs/llama4_debug.toml" --load "$tmp/llama3"
  refused "$n" "--load .*/gpt_oss: the checkpoint holds a 'gpt_oss' model \(its metadata's family\) but the deck builds 'llama3'" \
    "$l3" --load "$tmp/gpt_oss"
  refused "$n" "--load .*/llama3: the checkpoint holds llama3 flavor 'debugmodel' \(its metadata's flavor\) but the deck builds flavor '1B'" \
    "$l3" "${as_1b[@]}" --load "$tmp/llama3"
  refused "$n" "--load .*/llama3: the checkpoint was saved with titan names but this run reads hf names; give --load-names titan" \
    "$l3" --set model.n_layers=2 --checkpoint-names hf --load "$tmp/llama3"
  refused "$n" "--load .*/llama3_hf: the checkpoint was saved with hf names but this run reads titan names; give --load-names hf" \
    "$l3" --set model.n_layers=2 --load "$tmp/llama3_hf"
  "$mpiexec" -n "$n" --oversubscribe "$app" "${small[@]}" "$l3" --set model.n_layers=2 --checkpoint-names hf \
    --load "$tmp/llama3_hf" > /dev/null || fail "the matching load failed"
done
echo "checkpoint metadata checked against the deck: OK"
