#!/usr/bin/env bash
# build.sh OUT [SRC]: compile the CUDA C kernels of SRC (default: this
# directory's parent, kernels/cuda) as host C++ into OUT/libcuda.so.1, the
# emulated driver, and build the reference cuBLAS as OUT/libcublas.so.12
# (working) and OUT/libcublas.so.13 (whose cublasCreate fails). Needs g++
# only; installs Debian's g++ when it is missing and the user is root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUT [SRC]}
src=$(cd "${2:-$here/..}" && pwd)
if ! command -v g++ >/dev/null; then
  [ "$(id -u)" = 0 ] || { echo "build.sh: g++ is missing (apt-get install g++)" >&2; exit 1; }
  timeout 300 apt-get update -q && DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -q --no-install-recommends g++
fi
mkdir -p "$out/gen"
cpps=()
for cu in "$src"/*.cu; do
  b=$(basename "$cu" .cu)
  {
    echo '#include "kernel.h"'
    echo "#line 1 \"$cu\""
    # extern __shared__ T name[]; -> the launch's dynamic shared memory.
    sed -E 's/extern __shared__ ([A-Za-z_ ]+) ([A-Za-z_]+)\[\];/\1* \2 = (\1*)emu_dyn_smem;/' "$cu"
    grep -oE 'extern "C" __global__ void k_[A-Za-z0-9_]+' "$cu" | sed -E 's/.* (k_[A-Za-z0-9_]+)$/EMU_REG(\1)/'
  } > "$out/gen/$b.cpp"
  cpps+=("$out/gen/$b.cpp")
done
flags=(-std=c++17 -O2 -g -fPIC -shared -Wall -Wno-unused-function -Wno-unused-variable -Wno-unknown-pragmas)
g++ "${flags[@]}" -I"$here" -I"$here/include" -I"$src" -Wl,-soname,libcuda.so.1 -o "$out/libcuda.so.1" \
  "$here/driver.cpp" "${cpps[@]}"
g++ "${flags[@]}" -Wl,-soname,libcublas.so.12 -o "$out/libcublas.so.12" "$here/cublas.cpp" -L"$out" -l:libcuda.so.1
g++ "${flags[@]}" -DEMU_CREATE_FAILS -Wl,-soname,libcublas.so.13 -o "$out/libcublas.so.13" "$here/cublas.cpp" -L"$out" -l:libcuda.so.1
