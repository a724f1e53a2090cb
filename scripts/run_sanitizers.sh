#!/usr/bin/env bash
# The whole CTest suite built with AddressSanitizer + UndefinedBehaviorSanitizer
# (g++, -DTITAN_ENABLE_SANITIZERS=ON, in build-asan). Any sanitizer report
# fails its test: ASan and UBSan halt on the first error. LeakSanitizer is on
# for the serial unit tests and off for the processes mpiexec launches (Open
# MPI keeps its memory until exit; see cmake/TitanSanitizers.cmake).
# Run scripts/install_deps.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTITAN_ENABLE_SANITIZERS=ON -DTITAN_ENABLE_BENCH=OFF "$@"
cmake --build build-asan -j2
. scripts/mpi_env.sh
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
cd build-asan
ctest -j2 --output-on-failure --timeout 600
