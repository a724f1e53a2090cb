#!/usr/bin/env bash
# README command (a): install, build, run the main job (Llama3 8B bf16 on 2 ranks).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
bash scripts/build.sh
. scripts/mpi_env.sh
mpirun -n 2 build/titan_app inputs/llama.toml --report-json build/llama_report.json
echo "[titan] JSON report: build/llama_report.json"
