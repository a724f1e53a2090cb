#!/usr/bin/env bash
# Configures and builds titan_app (Release) into ./build with 2 jobs.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build build -j2
