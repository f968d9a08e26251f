#!/usr/bin/env bash
# install-cuda-deps.sh: install what `go vet/test -tags cuda` and `make -C kernels/cuda`
# need on a Debian bookworm machine: the CUDA headers and cuBLAS (nvidia-cuda-dev), the
# driver library stub libcuda.so (libcuda1) and nvcc 11.8 (nvidia-cuda-toolkit, targets
# up to sm_90). They live in Debian's contrib/non-free components, so those are added to
# the machine's existing Debian source entry first. Needs root (or sudo).
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi

src=/etc/apt/sources.list.d/debian.sources
if [ -f "$src" ]; then
  # deb822 format: extend every "Components: main" line.
  if grep -q '^Components: main$' "$src"; then
    $SUDO sed -i 's/^Components: main$/Components: main contrib non-free non-free-firmware/' "$src"
  fi
elif [ -f /etc/apt/sources.list ]; then
  $SUDO sed -i -E '/^deb .*debian/ { / contrib/! s/ main( |$)/ main contrib non-free non-free-firmware\1/ }' /etc/apt/sources.list
else
  echo "install-cuda-deps.sh: no Debian source entry found (/etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# nvidia-cuda-toolkit pulls nvcc and a gcc it supports; --no-install-recommends keeps the
# documentation, profilers' GUIs and the full driver out.
$SUDO apt-get install -y -q --no-install-recommends nvidia-cuda-dev libcuda1 nvidia-cuda-toolkit
nvcc --version | tail -n 2
