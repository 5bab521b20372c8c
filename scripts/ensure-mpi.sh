#!/usr/bin/env bash
# Installs Open MPI (openmpi-bin: mpirun; libopenmpi-dev: mpicc and the headers @weft/mpi's addon
# builds against) with apt when mpirun is missing. For CI, which runs as root on Debian/Ubuntu;
# run it before `pnpm install` so the addon builds at install. Does nothing when mpirun exists.
set -euo pipefail
if command -v mpirun >/dev/null 2>&1 && command -v mpicc >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-mpi: mpirun/mpicc missing and no apt-get here: install Open MPI (its runtime and development files) with this system's package manager" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "ensure-mpi: not root and no sudo: run as root: apt-get install -y openmpi-bin libopenmpi-dev" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq openmpi-bin libopenmpi-dev >/dev/null
echo "ensure-mpi: installed $(mpirun --version | head -n 1)"
