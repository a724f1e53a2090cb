#!/usr/bin/env bash
# Issue 19, class 1 (and 13: refused up front, a 250-byte name): what `--save DIR --overwrite` may replace
# (docs/checkpoint.md "--overwrite"). Only a titan_app checkpoint; never a
# folder holding anything else, never the current directory, a parent of it,
# "/", a home directory, a symbolic link, or a folder holding the deck, the
# --load checkpoint or the tokens file. Each refusal: exit status 2, one
# message, up front (before the memory guard: the 405B deck in float32 would
# be refused by it with another message), and every file left as it was.
# A real checkpoint is replaced (of another family, with and without
# config.json), leaving nothing else behind.
# Usage: checkpoint_overwrite.sh TITAN_APP MPIEXEC
set -euo pipefail
app=$(realpath "$1")
mpiexec=$2
src=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
export OMPI_MCA_odls_base_sigkill_timeout=0
small=(--quiet --set model.n_layers=1 --set checkpoint.write_speed_sample_bytes=0)
deck=$src/inputs/llama3_debug.toml
big=$src/inputs/llama3_405b.toml

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
snapshot() { (cd "$1" && find . -printf '%p %s %y\n' | sort && find . -type f -exec md5sum {} + | sort); }
unchanged() {  # dir, snapshot file
  [ "$(snapshot "$1")" == "$(cat "$2")" ] || fail "$1 was changed"
}
save() {  # ranks dir args...
  local n=$1 d=$2
  shift 2
  "$mpiexec" -n "$n" --oversubscribe "$app" "${small[@]}" "$@" --save "$d" > /dev/null
}

for n in 1 2; do
  w=$tmp/np$n
  mkdir -p "$w/project" "$w/home"
  # A project folder: a deck and a user's file.
  cp "$deck" "$w/project/deck.toml"
  echo 'my thesis' > "$w/project/thesis.tex"
  snapshot "$w/project" > "$w/project.snap"
  (cd "$w/project" && refused "$n" "--save .*/project --overwrite: not replacing it: it is the current directory" \
     deck.toml "${small[@]}" --save "$PWD" --overwrite)
  (cd "$w/project" && refused "$n" "--save \. --overwrite: not replacing it: it is the current directory" \
     deck.toml "${small[@]}" --save . --overwrite)
  (cd "$w/project" && refused "$n" "--save \.\. --overwrite: not replacing it: it contains the current directory" \
     deck.toml "${small[@]}" --save .. --overwrite)
  (cd "$w/project" && refused "$n" "--save / --overwrite: not replacing it: it is the root directory" \
     deck.toml "${small[@]}" --save / --overwrite)
  # Up front: the 405B deck would be refused by the memory guard (exit 2, another message).
  (cd "$w/project" && refused "$n" "it is the current directory" "$big" --save "$PWD" --overwrite)
  # From elsewhere: the folder holds the deck; with another deck, it holds a user's file.
  refused "$n" "not replacing it: it holds the input deck .*deck\.toml" "$w/project/deck.toml" "${small[@]}" \
    --save "$w/project" --overwrite
  refused "$n" "not replacing it: it has no model\.safetensors\.index\.json" "$deck" "${small[@]}" --save "$w/project" --overwrite
  refused "$n" "not replacing it: it has no model\.safetensors\.index\.json" "$big" --save "$w/project/" --overwrite
  unchanged "$w/project" "$w/project.snap"

  # A real checkpoint, then user files put into it: refused, nothing touched.
  save "$n" "$w/ck" "$deck"
  echo notes > "$w/ck/notes.txt"
  snapshot "$w/ck" > "$w/ck.snap"
  refused "$n" "not replacing it: it holds 'notes\.txt', which is not part of a titan_app checkpoint" "$deck" "${small[@]}" \
    --save "$w/ck" --overwrite
  unchanged "$w/ck" "$w/ck.snap"
  rm "$w/ck/notes.txt"
  mkdir "$w/ck/sub"
  refused "$n" "it holds 'sub', which is not part of a titan_app checkpoint" "$deck" "${small[@]}" --save "$w/ck" --overwrite
  rmdir "$w/ck/sub"
  # A shard that titan_app did not write (a logits dump is safetensors too).
  cp -r "$w/ck" "$w/foreign"
  shard=$(cd "$w/foreign" && ls model-*.safetensors | head -1)
  "$mpiexec" -n 1 "$app" "${small[@]}" "$deck" --dump-logits "$w/foreign/$shard" --set forward.seq_len=4 > /dev/null
  snapshot "$w/foreign" > "$w/foreign.snap"
  refused "$n" "not replacing it: model-00001-of-00001\.safetensors is not a safetensors file written by titan_app" \
    "$deck" "${small[@]}" --save "$w/foreign" --overwrite
  unchanged "$w/foreign" "$w/foreign.snap"
  # Inputs inside it: the --load checkpoint itself, the tokens file, the deck.
  snapshot "$w/ck" > "$w/ck.snap"
  refused "$n" "not replacing it: it is the --load checkpoint" "$deck" "${small[@]}" --load "$w/ck" --save "$w/ck" --overwrite
  cp "$deck" "$w/ck/deck.toml"
  refused "$n" "it holds the input deck" "$w/ck/deck.toml" "${small[@]}" --save "$w/ck" --overwrite
  rm "$w/ck/deck.toml"
  unchanged "$w/ck" "$w/ck.snap"
  # A symbolic link to a checkpoint, and a home directory that is a checkpoint.
  ln -s ck "$w/ck_link"
  refused "$n" "not replacing it: it is a symbolic link" "$deck" "${small[@]}" --save "$w/ck_link" --overwrite
  cp -r "$w/ck" "$w/home/me"
  HOME=$w/home/me refused "$n" "not replacing it: it is a home directory" "$deck" "${small[@]}" --save "$w/home/me" --overwrite
  [ -d "$w/home/me" ] || fail "the home directory was removed"

  # Replacing a real checkpoint works: a Qwen3 one by a Llama3 one with HF
  # names (config.json), then back by a titan-named one (config.json goes).
  save "$n" "$w/real" "$src/inputs/qwen3_debug.toml"
  save "$n" "$w/real" "$deck" --checkpoint-names hf --overwrite
  [ -f "$w/real/config.json" ] || fail "no config.json after replacing"
  "$mpiexec" -n "$n" --oversubscribe "$app" "${small[@]}" "$deck" --checkpoint-names hf --load "$w/real" > /dev/null
  save "$n" "$w/real" "$deck" --set run.seed=3 --overwrite
  [ ! -e "$w/real/config.json" ] || fail "config.json of the old checkpoint left in the new one"
  # (13) A legal 250-byte name: saved, then replaced (the temporary and the
  # old checkpoint's names are cut to stay legal).
  long=$w/$(printf 'c%.0s' $(seq 250))
  save "$n" "$long" "$deck"
  save "$n" "$long" "$deck" --set run.seed=5 --overwrite
  [ -f "$long/model.safetensors.index.json" ] || fail "no checkpoint under a 250-byte name"
  # A long path (two 200-byte folders above the 250-byte name: about 660
  # bytes): Open MPI's lockedfile component would overflow a 256-byte buffer
  # in MPI_File_open; titan_app leaves it out. Saved and loaded back.
  deep=$w/$(printf 'd%.0s' $(seq 200))/$(printf 'e%.0s' $(seq 200))
  mkdir -p "$deep"
  save "$n" "$deep/$(basename "$long")" "$deck"
  "$mpiexec" -n "$n" --oversubscribe "$app" "${small[@]}" "$deck" --load "$deep/$(basename "$long")" > /dev/null ||
    fail "the checkpoint under a long path does not load"
  left=$(cd "$w" && ls -d ./*.tmp.* ./*.old.* 2> /dev/null || true)
  [ -z "$left" ] || fail "left behind: $left"
done
echo "--overwrite replaces only titan_app checkpoints: OK"
