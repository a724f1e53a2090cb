#!/usr/bin/env bash
# Installs titan_app's build and run dependencies from Debian 12 packages.
# Needs root (or sudo). Safe to re-run.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  cmake make g++ git python3 \
  libtrilinos-kokkos-dev libtrilinos-kokkos-kernels-dev \
  libtomlplusplus-dev catch2 librandom123-dev nlohmann-json3-dev \
  libopenmpi-dev openmpi-bin libopenblas0-pthread \
  python3-numpy python3-matplotlib python3-torch \
  > /dev/null
echo "[titan] dependencies installed"
