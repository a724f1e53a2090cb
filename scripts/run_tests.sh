#!/usr/bin/env bash
# README command (b): install, build, run the whole test suite (CTest: unit,
# MPI at 1/2/3 ranks, app and bad-input tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
bash scripts/build.sh
. scripts/mpi_env.sh
cd build
ctest -j2 --output-on-failure --timeout 300
