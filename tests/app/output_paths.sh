#!/usr/bin/env bash
# Issue 19, classes 5 and 6: an empty path never turns a feature off, and no
# output is written onto the run's own inputs or onto another output. Files
# are compared by identity (device and inode, links followed), so a link or
# a hard link to an input is caught too. Each refusal: exit status 2, one
# message, before the model is built (the 405B deck would otherwise be
# refused by the memory guard with another message), and the inputs intact.
# Usage: output_paths.sh TITAN_APP MPIEXEC
set -euo pipefail
app=$(realpath "$1")
mpiexec=$2
src=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
export OMPI_MCA_odls_base_sigkill_timeout=0
small=(--quiet --set model.n_layers=1 --set checkpoint.write_speed_sample_bytes=0)

refused() {  # ranks, expected message (grep -E), args...
  local n=$1 expect=$2
  shift 2
  set +e
  "$mpiexec" -n "$n" --oversubscribe "$app" "$@" > "$tmp/out" 2> "$tmp/err"
  local rc=$?
  set -e
  [ "$rc" -eq 2 ] || { cat "$tmp/err"; fail "$*: exit status $rc, not 2"; }
  [ "$(cat "$tmp/out" "$tmp/err" | grep -c 'titan_app: error')" -eq 1 ] || { cat "$tmp/err"; fail "$*: not one message"; }
  grep -Eq -e "$expect" "$tmp/err" || { cat "$tmp/err"; fail "$*: message does not match: $expect"; }
}

cp "$src/inputs/llama3_debug.toml" "$tmp/deck.toml"
big=$src/inputs/llama3_405b.toml
"$mpiexec" -n 1 "$app" "${small[@]}" "$tmp/deck.toml" --save "$tmp/ck" > /dev/null
# A tokens file (the forward's own dump has the tokens tensor it needs... as
# I64 [B, T] under the name 'tokens'; a logits dump is one).
"$mpiexec" -n 1 "$app" "${small[@]}" "$tmp/deck.toml" --set forward.seq_len=8 --dump-logits "$tmp/tokens.safetensors" > /dev/null
keep() { (cd "$tmp" && find deck.toml tokens.safetensors ck -type f -exec md5sum {} + | sort); }
keep > "$tmp/keep"
index=$tmp/ck/model.safetensors.index.json
shard=$(ls "$tmp"/ck/model-*.safetensors | head -1)
ln -s deck.toml "$tmp/deck_link.toml"
ln "$tmp/tokens.safetensors" "$tmp/tokens_hardlink"

for n in 1 2; do
  # (5) empty paths, as a separate argument and as --flag=.
  for flag in --save --load --dump-logits --report-json; do
    refused "$n" "$flag: the path is empty" "${small[@]}" "$tmp/deck.toml" "$flag" ""
    refused "$n" "$flag: the path is empty" "${small[@]}" "$tmp/deck.toml" "$flag="
  done
  # (6) outputs onto inputs.
  refused "$n" "--dump-logits .*deck\.toml is the same file as the input deck" "${small[@]}" "$tmp/deck.toml" \
    --dump-logits "$tmp/deck.toml"
  refused "$n" "--dump-logits .*deck_link\.toml is the same file as the input deck" "$tmp/deck.toml" \
    --set model.flavor=405B --dump-logits "$tmp/deck_link.toml"
  refused "$n" "--report-json .*tokens_hardlink is the same file as the tokens file" "${small[@]}" "$tmp/deck.toml" \
    --forward --set forward.tokens_file="\"$tmp/tokens.safetensors\"" --report-json "$tmp/tokens_hardlink"
  refused "$n" "--report-json .*model\.safetensors\.index\.json is inside the --load checkpoint" "${small[@]}" \
    "$tmp/deck.toml" --load "$tmp/ck" --report-json "$index"
  refused "$n" "--report-json .*model-00001-of-00001\.safetensors is inside the --load checkpoint" "$big" --load "$tmp/ck" \
    --report-json "$shard"
  refused "$n" "--dump-logits .*model\.safetensors\.index\.json is inside the --load checkpoint" "${small[@]}" \
    "$tmp/deck.toml" --load "$tmp/ck" --dump-logits "$index"
  refused "$n" "--dump-logits .*new\.safetensors is inside the --load checkpoint" "${small[@]}" "$tmp/deck.toml" \
    --load "$tmp/ck" --dump-logits "$tmp/ck/new.safetensors"
  refused "$n" "--report-json .*r\.json is inside the --save directory" "${small[@]}" "$tmp/deck.toml" \
    --save "$tmp/ck" --overwrite --report-json "$tmp/ck/r.json"
  # (6) outputs onto each other: existing or not yet, through another name.
  refused "$n" "--dump-logits .*x\.out and --report-json .*x\.out are the same path" "${small[@]}" "$tmp/deck.toml" \
    --report-json "$tmp/x.out" --dump-logits "$tmp/x.out"
  refused "$n" "--dump-logits .*/\./x\.out and --report-json .*x\.out are the same path" "$big" \
    --report-json "$tmp/x.out" --dump-logits "$tmp/./x.out"
  refused "$n" "--report-json .*newck and --save .*newck are the same path" "${small[@]}" "$tmp/deck.toml" \
    --save "$tmp/newck" --report-json "$tmp/newck"
  refused "$n" "--dump-logits .*newck and --save .*newck are the same path" "${small[@]}" "$tmp/deck.toml" \
    --save "$tmp/newck" --dump-logits "$tmp/newck"
  # (14) A path holding a newline cannot forge a line of output.
  refused "$n" "--load .*nowhere.nTITAN_SUMMARY ranks=9" "${small[@]}" "$tmp/deck.toml" \
    --load "$tmp/nowhere"$'\n'"TITAN_SUMMARY ranks=9 forged"
  ! grep -q '^TITAN_SUMMARY ranks=9' "$tmp/out" "$tmp/err" || fail "a path forged a TITAN_SUMMARY line"
  refused "$n" "tokens_file .*t.nTITAN_SUMMARY ranks=9" "${small[@]}" "$tmp/deck.toml" --forward \
    --set forward.tokens_file="\"$tmp/t\\nTITAN_SUMMARY ranks=9\""
  ! grep -q '^TITAN_SUMMARY ranks=9' "$tmp/out" "$tmp/err" || fail "a tokens path forged a TITAN_SUMMARY line"
  [ ! -e "$tmp/x.out" ] && [ ! -e "$tmp/newck" ] || fail "an output was written by a refused run"
  [ "$(keep)" == "$(cat "$tmp/keep")" ] || fail "an input was changed"
done
# What stays allowed: a report beside the checkpoint it saves, a dump beside the deck.
"$mpiexec" -n 2 --oversubscribe "$app" "${small[@]}" "$tmp/deck.toml" --load "$tmp/ck" --save "$tmp/ck2" \
  --report-json "$tmp/ck2.json" --dump-logits "$tmp/logits.safetensors" --set forward.seq_len=4 > /dev/null
[ -s "$tmp/ck2.json" ] && [ -s "$tmp/logits.safetensors" ] && [ -d "$tmp/ck2" ] || fail "allowed outputs not written"
echo "output paths OK"
