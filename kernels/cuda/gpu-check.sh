#!/usr/bin/env bash
# gpu-check.sh: every GPU check of kernels/cuda in one short run (< 5 min on
# one H100/H200): the conformance suite, matmul and whole-model forward and
# KD-step parity with the CPU backend, the lifetime tests, and the 1B-Llama
# teacher-forward and KD-step benchmarks (tokens/s, TFLOP/s, MFU, each
# with its roofline bound; stacked q/k/v and gate/up projections beside
# separate ones, model/fuse.go). Logs go to $OUT (gpu-tests.log,
# gpu-bench.log).
#
# Builds kernels/cuda/cuda.test with go test -c -tags cuda where Go is;
# on a GPU machine without Go, build it first with `make -C kernels/cuda
# cuda.test` and carry it (device tool: carry ["kernels/cuda/cuda.test"]). Needs the NVIDIA driver
# and a cuBLAS (libcublas.so.13/12/11); one inside a Python nvidia-cublas
# wheel is found and passed as DISTILL_CUBLAS. Logs go to $OUT when set.
set -uo pipefail
cd "$(dirname "$0")"
out=${OUT:-/tmp}
if command -v go >/dev/null; then # rebuild: a carried binary may be stale
  (cd ../.. && CGO_ENABLED=1 go test -c -tags cuda -o kernels/cuda/cuda.test ./kernels/cuda/) || exit 1
elif [ ! -x cuda.test ]; then
  echo "gpu-check.sh: no Go here and no kernels/cuda/cuda.test (make -C kernels/cuda cuda.test, then carry it)" >&2
  exit 1
fi
if [ -z "${DISTILL_CUBLAS:-}" ] && ! ldconfig -p 2>/dev/null | grep -q 'libcublas\.so\.1[123] '; then
  # CUDA toolkits, then Python wheels (nvidia/cublas/lib or, for CUDA 13, nvidia/cu13/lib).
  roots="/usr/local/cuda /usr/local/cuda-13 /usr/local/cuda-12 $(python3 -c 'import nvidia; print(" ".join(nvidia.__path__))' 2>/dev/null)"
  f=$(find $roots -maxdepth 5 -name 'libcublas.so.1[123]*' 2>/dev/null | sort -r | head -n1)
  if [ -n "$f" ]; then export DISTILL_CUBLAS=$f; fi
fi
echo "DISTILL_CUBLAS=${DISTILL_CUBLAS:-<loader path>}"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null
rc=0
DISTILL_CUDA_REQUIRED=1 timeout 150 ./cuda.test -test.count=1 -test.v -test.run 'Open|SizeClass|PTX|CUDA' 2>&1 | tee "$out/gpu-tests.log" | grep -v '^=== RUN' | grep -E -- '--- (FAIL|SKIP)|^(FAIL|ok|PASS)|error|panic|kernels/cuda:' | head -n 150
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
DISTILL_CUDA_REQUIRED=1 timeout 120 ./cuda.test -test.run '^$' -test.bench 'CUDATeacherForward|CUDAKDStep' -test.benchtime 3x -test.v 2>&1 | tee "$out/gpu-bench.log" | grep -E 'Benchmark|roofline|FAIL|panic'
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
exit $rc
