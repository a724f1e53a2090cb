#!/usr/bin/env bash
# Builds the libFuzzer targets (clang++ with ASan + UBSan, in build-fuzz) and
# runs each one for SECONDS (default 60):
#   deck          decks through the reader, the config resolution, a build
#                 that allocates nothing and the memory guard's decision
#                 (tests/fuzz/deck_check.hpp); seeds inputs/, tests/inputs/bad/,
#                 tests/fuzz/regressions/
#   command_line  the arguments after "titan_app" (NUL-separated; Kokkos' own
#                 flags included) with one of the debug decks: parse_command_line,
#                 the deck read with the --set values, checked likewise
#                 (tests/fuzz/fuzz_command_line.cpp); seeds tests/fuzz/command_line_seeds/,
#                 tests/fuzz/regressions_command_line/
#   safetensors   the safetensors header and index reader
#                 (tests/fuzz/fuzz_safetensors.cpp); seeds tests/fuzz/safetensors_seeds/,
#                 the tokens files of tests/inputs/forward/
# What a target learns stays in build-fuzz/corpus/TARGET. A finding is
# written to build-fuzz/artifacts/TARGET/ and fails the script: add it to
# the target's regressions folder once fixed.
# Usage: scripts/fuzz.sh [SECONDS [TARGET...]]   (default: every target;
#        needs scripts/install_fuzz_deps.sh)
# A new target is one more entry in the two tables below (and its
# executable in tests/fuzz/CMakeLists.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
declare -A binary=(
  [deck]=fuzz_deck
  [command_line]=fuzz_command_line
  [safetensors]=fuzz_safetensors
)
# libFuzzer options of each target: its dictionary, input size, then seed folders.
declare -A setup=(
  [deck]="-dict=tests/fuzz/deck.dict -max_len=4096 inputs tests/inputs/bad tests/fuzz/regressions"
  [command_line]="-dict=tests/fuzz/command_line.dict -max_len=1024 tests/fuzz/command_line_seeds tests/fuzz/regressions_command_line"
  [safetensors]="-dict=tests/fuzz/safetensors.dict -max_len=4096 tests/fuzz/safetensors_seeds tests/inputs/forward"
)
order=(deck command_line safetensors)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${order[@]}")
for t in "${targets[@]}"; do
  [ -n "${binary[$t]:-}" ] || { echo "fuzz.sh: unknown target '$t' (targets: ${order[*]})"; exit 2; }
done
# TITAN_FUZZ_BUILD names another instrumented build folder to use: .ci/run
# passes build-asan, which scripts/run_sanitizers.sh configured with clang++
# and the fuzz targets (one instrumented build of the library, not two).
bdir=${TITAN_FUZZ_BUILD:-build-fuzz}
if ! grep -q '^TITAN_ENABLE_FUZZ:BOOL=ON' "$bdir/CMakeCache.txt" 2> /dev/null; then
  cmake -S . -B "$bdir" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTITAN_ENABLE_FUZZ=ON \
    -DTITAN_ENABLE_TESTS=OFF -DTITAN_ENABLE_BENCH=OFF > /dev/null
fi
build_targets=()
for t in "${targets[@]}"; do build_targets+=(--target "${binary[$t]}"); done
cmake --build "$bdir" -j2 "${build_targets[@]}"
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
for t in "${targets[@]}"; do
  mkdir -p "$bdir/corpus/$t" "$bdir/artifacts/$t"
  echo "[fuzz] $t for ${seconds} s"
  # -rss_limit_mb and -malloc_limit_mb bound the memory, -timeout one input.
  # shellcheck disable=SC2086  # the setup string holds several arguments
  "$bdir/tests/fuzz/${binary[$t]}" "$bdir/corpus/$t" ${setup[$t]} -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$bdir/artifacts/$t/"
done
