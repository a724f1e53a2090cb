#!/usr/bin/env bash
# Installs what the checking builds need beyond scripts/install_deps.sh:
# clang and its runtime libraries (libFuzzer, the sanitizers' runtimes for
# clang) for scripts/fuzz.sh. The ASan + UBSan build (scripts/run_sanitizers.sh)
# uses g++, whose sanitizer runtimes come with it. Needs root (or sudo).
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
if ! command -v clang++ > /dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a > /dev/null 2>&1; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev > /dev/null
fi
echo "[titan] fuzzing dependencies installed"
