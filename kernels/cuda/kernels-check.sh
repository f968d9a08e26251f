#!/usr/bin/env bash
# kernels-check.sh (make kernels-check): regenerate ptx/*.ptx with nvcc and
# ptx/ptxas.txt with ptxas (sm_80 and sm_90) from the CUDA toolkit that
# fetch-toolkit.sh caches, and fail when either differs from what is
# committed (or staged). Run it whenever a .cu or .cuh file changes, then commit ptx/.
# It also checks that compute_90 PTX would differ from the committed
# compute_80 PTX only in its .target line (else per-target PTX is needed),
# that no kernel spills registers, and (abi-check.sh) that driver.go's
# hand-written driver and cuBLAS declarations match the toolkit's headers.
# Exit status: 0 up to date, 1 a difference or failure, 2 the toolkit
# could not be fetched (0 with KERNELS_CHECK_OPTIONAL=1, as CI runs it).
set -uo pipefail
cd "$(dirname "$0")"
if command -v nvcc >/dev/null && command -v ptxas >/dev/null; then
  nvcc=nvcc ptxas=ptxas
else
  if ! bin=$(timeout 1200 ./fetch-toolkit.sh); then
    echo "kernels-check: the CUDA toolkit could not be fetched; PTX NOT checked" >&2
    [ "${KERNELS_CHECK_OPTIONAL:-}" = 1 ] && exit 0
    exit 2
  fi
  # Debian's nvcc 11.8 knows gcc <= 11 only; for -ptx the host compiler
  # just preprocesses, so a newer g++ is fine.
  nvcc="$bin/nvcc -ccbin $(command -v g++) -allow-unsupported-compiler" ptxas=$bin/ptxas
fi
set -e
touch *.cu # regenerate even when make thinks ptx/ is newer
make --no-print-directory NVCC="$nvcc" PTXAS="$ptxas" kernels >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for s in *.cu; do
  $nvcc -ptx -arch=compute_90 -o "$tmp/${s%.cu}.ptx" "$s"
  if ! diff -q <(tail -n +2 "ptx/${s%.cu}.sm80.ptx" | grep -v '^\.target') <(grep -v '^\.target' "$tmp/${s%.cu}.ptx") >/dev/null; then
    echo "kernels-check: compute_90 PTX of $s differs from compute_80 beyond .target: commit per-target PTX (Makefile ARCH)" >&2
    exit 1
  fi
done
if awk '!/^#/ && ($6 > 0 || $7 > 0) {print "kernels-check: " $1 " spills on " $2 ": " $6 " B stored, " $7 " B loaded"; bad = 1} END {exit bad}' ptx/ptxas.txt; then :; else exit 1; fi
if ! git diff --quiet -- ptx/ || [ -n "$(git ls-files --others --exclude-standard -- ptx/)" ]; then
  git status --short -- ptx/
  echo "kernels-check: ptx/ differs from what nvcc/ptxas produce: commit the regenerated files" >&2
  exit 1
fi
./abi-check.sh
echo "kernels-check: $(ls ptx/*.ptx | wc -l) PTX files up to date; ptxas (sm_80, sm_90):"
awk '!/^#/ {printf "  %-22s %s %3d regs %5d B smem\n", $1, $2, $3, $4}' ptx/ptxas.txt
