#!/usr/bin/env bash
# The GPU check (issue 20): scripts/gpu_check.sh BUILD [--small | --full] [--out DIR]
# Runs init_bench, the Llama3 8B bf16 main job, the forward benchmark, training
# (when titan_app has --train) and torch's numbers on the same device, each
# under a time limit (8 minutes in all on one H100/H200), and writes
# DIR/gpu_check.md (one table) and DIR/gpu_check.json (DIR: BUILD/gpu_check).
# On a CPU build it runs the same steps on small sizes (CTest app.gpu_check_small).
# The steps and sizes: scripts/gpu_check.py; how to build and copy: docs/gpu.md.
set -euo pipefail
if [ $# -lt 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
here="$(cd "$(dirname "$0")" && pwd)"
# PYTHON: the interpreter that has numpy (and torch, for torch's numbers).
exec "${PYTHON:-python3}" "$here/gpu_check.py" "$@"
