#!/usr/bin/env bash
# Builds the libFuzzer deck fuzzer (clang++ with ASan + UBSan, in build-fuzz)
# and runs it for SECONDS (default 60): decks through the reader, the config
# resolution, a build that allocates nothing and the memory guard's decision
# (tests/fuzz/deck_check.hpp). Seeds: inputs/, tests/inputs/bad/ and earlier
# findings (tests/fuzz/regressions/); what it learns stays in
# build-fuzz/corpus. A finding is written to build-fuzz/artifacts/ and fails
# the script: add it to tests/fuzz/regressions/ once fixed.
# Usage: scripts/fuzz.sh [SECONDS]   (needs scripts/install_fuzz_deps.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTITAN_ENABLE_FUZZ=ON \
  -DTITAN_ENABLE_TESTS=OFF -DTITAN_ENABLE_BENCH=OFF > /dev/null
cmake --build build-fuzz -j2 --target fuzz_deck fuzz_safetensors
mkdir -p build-fuzz/corpus build-fuzz/artifacts
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# -rss_limit_mb and -malloc_limit_mb bound the memory, -timeout one input.
build-fuzz/tests/fuzz/fuzz_deck build-fuzz/corpus inputs tests/inputs/bad tests/fuzz/regressions \
  -dict=tests/fuzz/deck.dict -max_len=4096 -max_total_time="$seconds" -timeout=10 \
  -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 -artifact_prefix=build-fuzz/artifacts/
# The safetensors header and index reader (tests/fuzz/fuzz_safetensors.cpp),
# for the same SECONDS; seeds: tests/fuzz/safetensors_seeds, the tokens files.
mkdir -p build-fuzz/corpus_safetensors
build-fuzz/tests/fuzz/fuzz_safetensors build-fuzz/corpus_safetensors tests/fuzz/safetensors_seeds tests/inputs/forward \
  -dict=tests/fuzz/safetensors.dict -max_len=4096 -max_total_time="$seconds" -timeout=10 \
  -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 -artifact_prefix=build-fuzz/artifacts/
