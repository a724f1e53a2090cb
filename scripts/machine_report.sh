#!/usr/bin/env bash
# Prints what this machine is, for reading a CI log afterwards: the kernel,
# CPU, cores, transparent huge pages, whether RSS is charged page by page
# (tests/train/rss_probe.py; the memory tests skip where it is not) and one
# training run's measured peak RSS beside its plan. Never fails: it reports.
# Usage: scripts/machine_report.sh [BUILD_DIR]
cd "$(dirname "$0")/.." || exit 0
build=${1:-build}
echo "== machine: $(uname -srm); $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "== transparent huge pages: $(cat /sys/kernel/mm/transparent_hugepage/enabled 2> /dev/null || echo unknown)"
echo "== memory: $(grep -E 'MemTotal|MemAvailable' /proc/meminfo | tr -s ' ' | tr '\n' ' ')"
/usr/bin/python3 tests/train/rss_probe.py 2>&1 || true
if [ -x "$build/titan_app" ]; then
  # shellcheck source=scripts/mpi_env.sh
  . scripts/mpi_env.sh
  out=$(mktemp)
  if mpiexec -n 1 "$build/titan_app" inputs/llama3_debug.toml --quiet --train --set train.steps=2 \
    --report-json "$out" > /dev/null 2>&1; then
    /usr/bin/python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['train']; print(f\"== llama3 debug training, 1 rank: peak RSS {t['peak_rss']/2**20:.1f} MiB, planned {t['planned_peak_bytes']/2**20:.1f} MiB\")" "$out" || true
  fi
  rm -f "$out"
fi
exit 0
