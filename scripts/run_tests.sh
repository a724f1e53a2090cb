#!/usr/bin/env bash
# README command (b): install, build, run the test suite (CTest: unit, MPI at
# 1/2/3 ranks, app, bad-input, forward and training tests) without the
# on-demand "long" tier (cmake/TitanLongTests.cmake lists it and why each
# of its tests is covered by one that stays). `--long` runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
tier=(-LE long)
case "${1:-}" in
  --long) tier=() ;;
  "") ;;
  *) echo "usage: scripts/run_tests.sh [--long]   (--long: also the long tier)" >&2; exit 2 ;;
esac
bash scripts/install_deps.sh
bash scripts/build.sh
. scripts/mpi_env.sh
cd build
ctest -j2 --output-on-failure --timeout 300 "${tier[@]}"
