#!/usr/bin/env bash
# test.sh (make cuda-emu-test): the cuda-tagged test suite of kernels/cuda
# on the CPU emulator, then the mutation tests that show the emulator
# catches kernel bugs.
#
#  1. build.sh compiles the kernels into a fake libcuda.so.1 and the
#     reference cuBLAS; go test -c builds the unchanged cuda-tagged tests.
#  2. The suite (conformance, matmul, whole-model forward and KD-step
#     parity with the CPU backend, the defect regressions) runs three
#     times: threads and blocks in forward, reverse and seeded random order
#     (EMU_SEED, default from the clock; printed for reproduction). cuBLAS
#     is found by soname: the emulated .13 fails cublasCreate, so every
#     run also exercises the fall-back to .12. Any "EMU ERROR" fails.
#  3. The benchmarks run once on a small model (their code, not speed),
#     each printing its roofline bound (with made-up peaks).
#     Coverage: every kernel in ptx/ must have been launched by some test.
#  4. Mutations: each line of mutations.txt edits a copy of the sources
#     (a removed __syncthreads, an off-by-one index, ...); the named tests
#     must then fail.
# Output goes to EMU_OUT (default: a temporary directory).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cuda=$(cd "$here/.." && pwd)
repo=$(cd "$cuda/../.." && pwd)
out=${EMU_OUT:-$(mktemp -d)}
seed=${EMU_SEED:-$(( $(date +%s) % 100000 ))}
mkdir -p "$out"
export GOMAXPROCS=${GOMAXPROCS:-2}
start=$(date +%s)

"$here/build.sh" "$out/lib" "$cuda"
(cd "$repo" && CGO_ENABLED=1 go test -c -tags cuda -o "$out/cuda.test" ./kernels/cuda/)
echo "emu: built in $(( $(date +%s) - start )) s"

# run LIBDIR ORDER LOG REGEX [SKIP]: the test binary on the emulator built in LIBDIR.
run() {
  (cd "$cuda" && LD_LIBRARY_PATH="$1" EMU_ORDER="$2" EMU_PTXAS="$cuda/ptx/ptxas.txt" EMU_TRACE="$out/trace" \
    DISTILL_CUDA_REQUIRED=1 timeout 300 "$out/cuda.test" -test.count=1 -test.timeout 280s -test.v \
    -test.run "$4" -test.skip "${5:-^$}" >"$3" 2>&1)
}

rc=0
rm -f "$out/trace"
# The 65537-block attention test only checks the batch split, the same in
# every order: it runs in the first (it takes a third of the time).
skip='^$'
for order in fwd rev "rand:$seed"; do
  t0=$(date +%s)
  log="$out/suite.${order%%:*}.log"
  if run "$out/lib" "$order" "$log" 'Open|SizeClass|PTX|CUDA' "$skip" && ! grep -q 'EMU ERROR' "$log"; then
    echo "emu: suite passed in order $order ($(grep -c -- '--- PASS' "$log") passed, $(( $(date +%s) - t0 )) s)"
  else
    rc=1
    echo "emu: suite FAILED in order $order (log $log):"
    grep -E -- '--- FAIL|EMU ERROR|panic|^FAIL' "$log" | head -n 40
  fi
  skip=CUDAConformance/AttentionManyBatches
done

# The benchmarks' code (1B Llama on a GPU) once, on a small model, with
# made-up peaks so that every benchmark prints its roofline bound.
if (cd "$cuda" && LD_LIBRARY_PATH="$out/lib" EMU_PTXAS="$cuda/ptx/ptxas.txt" DISTILL_CUDA_REQUIRED=1 \
  DISTILL_CUDA_BENCH_SMALL=1 DISTILL_PEAK_TFLOPS=1 DISTILL_PEAK_GBPS=100 timeout 300 "$out/cuda.test" \
  -test.run '^$' -test.bench CUDA -test.benchtime 1x >"$out/bench.log" 2>&1) &&
  ! grep -q 'EMU ERROR' "$out/bench.log" &&
  [ "$(grep -c 'roofline: .*-bound, at most' "$out/bench.log")" = "$(grep -c '^Benchmark' "$out/bench.log")" ]; then
  echo "emu: benchmarks ran on a small model, each with its roofline bound"
else
  rc=1; echo "emu: benchmarks FAILED (log $out/bench.log)"; tail -n 20 "$out/bench.log"
fi

missing=$(comm -23 <(grep -ho '^\.visible \.entry [A-Za-z_0-9]*' "$cuda"/ptx/*.ptx | awk '{print $3}' | sort -u) <(sort -u "$out/trace"))
if [ -n "$missing" ]; then
  rc=1
  echo "emu: kernels never launched by any test (dead code, or a test is missing):" $missing
else
  echo "emu: every kernel in ptx/ was launched"
fi

# Mutations: tab-separated FILE, SED -E EXPRESSION, TEST REGEX, DESCRIPTION.
n=0
while IFS=$'\t' read -r file expr tests desc; do
  case $file in ''|'#'*) continue ;; esac
  n=$((n + 1))
  m="$out/mutant$n"
  rm -rf "$m" && mkdir -p "$m/src" && cp "$cuda"/*.cu "$cuda"/*.cuh "$m/src/"
  sed -i -E "$expr" "$m/src/$file"
  if cmp -s "$cuda/$file" "$m/src/$file"; then
    rc=1; echo "emu: mutation $n ($desc): the edit did not apply to $file"; continue
  fi
  "$here/build.sh" "$m/lib" "$m/src" >/dev/null
  if run "$m/lib" fwd "$m/log" "$tests"; then
    rc=1; echo "emu: mutation $n ($desc) NOT caught by $tests"
  else
    echo "emu: mutation $n ($desc) caught: $(grep -E -- '^    --- FAIL|^--- FAIL' "$m/log" | head -n 3 | sed -E 's/ *--- FAIL: ([^ ]*).*/\1/' | tr '\n' ' ')"
  fi
done < "$here/mutations.txt"

echo "emu: done in $(( $(date +%s) - start )) s (seed $seed, logs in $out)"
exit $rc
