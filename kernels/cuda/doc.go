// Package cuda is the NVIDIA GPU backend of distill: kernels.Backend on
// device memory, with the CUDA C kernels of *.cu (compiled to the PTX in
// ptx/, embedded) and GEMMs through cuBLAS.
//
// The backend itself is behind the "cuda" build tag (go build -tags cuda);
// a binary built with it registers "cuda" and "cuda:N" with kernels.Open.
// Without the tag this package only holds the embedded PTX and its
// up-to-date check, and kernels.Open("cuda") says the binary lacks CUDA.
//
// # Runtime
//
// The driver (libcuda.so.1) and cuBLAS are loaded with dlopen when a
// backend is opened, never at process start: a cuda build on a machine
// without a GPU runs its CPU paths, and Open returns an error naming what
// is missing. They are bound by hand (driver.go) rather than through
// gorgonia.org/cu because that package's init calls cuInit and exits the
// process when no driver is present, and it has no binding of
// cublasGemmStridedBatchedEx (16-bit operands, float32 compute), which
// every MatMul here uses. Binding with dlopen also needs no CUDA header or
// library at build time, and lets the CPU emulator (emu/) stand in for the
// driver unchanged. cuBLAS candidates (DISTILL_CUBLAS, then .13, .12, .11)
// are tried until one's cublasCreate succeeds: a cuBLAS newer than the
// driver loads but fails there. Close releases everything a backend holds.
// Every backend owns one non-blocking stream; all work is
// queued on it in call order, which is what makes the caching allocator
// safe: a block freed by one op and handed to the next is only touched by
// work queued after the first op's. Reads back to the host (ToFloat32,
// ReadBytes) synchronise.
//
// # Math
//
// Storage dtypes F32, F16 and BF16 are widened to float32 in registers
// and rounded once on store (round to nearest even), as on the CPU.
// Row reductions (norms, softmax) are float32 block reductions.
//
// Prefill attention (16 or more query rows) runs on tensor cores
// (attention_gemm.go): S = Q K^T and O = P V as cuBLAS strided-batched
// GEMMs per batch entry and query head of each kv group, with a masked
// softmax kernel between them writing P in 16 bits and the lse; float32
// q, k, v and P are split into bf16 halves (three GEMMs per product), so
// the result keeps float32 accuracy. Decoding and the backward use the
// fused kernels of attention.cu, FlashAttention-2 style: one warp per query
// row, key/value tiles staged in shared memory, online softmax
//
//	m' = max(m, max_j s_j), l' = l e^(m-m') + sum_j e^(s_j-m'),
//	acc' = acc e^(m-m') + sum_j e^(s_j-m') v_j, out = acc/l, lse = m + log l,
//
// and the backward recomputes p = exp(s - lse) from the saved lse. A
// sliding window (AttentionParams.Window) is masked in every attention
// kernel; RoPE frequency factors enter the host-computed rotation table
// (kernels.RoPETable, shared with the CPU backend).
//
// MatMul runs cublasGemmStridedBatchedEx with float32 accumulation
// (CUBLAS_COMPUTE_32F): bf16/fp16 operands of the same type go to tensor
// cores directly. Float32 activations times bf16 weights (the model
// package's teacher forward) split the activations a = hi + lo into two
// bf16 tensors (|a - hi - lo| <= 2^-17 |a|) and run two tensor-core GEMMs
// against the exact bf16 weights: float32 accuracy at tensor-core speed.
// Backend.FastMatMul (or DISTILL_CUDA_FAST_MATMUL=1) rounds the activations
// once instead, one GEMM, bf16-model accuracy. Other mixed operands are
// widened to float32. Row-major out = op(a) op(b) is computed as the
// column-major out^T = op(b)^T op(a)^T. A 2-d a times a 3-d b (one input,
// stacked weights) is one strided-batched GEMM whose a stride is 0.
//
// # Stacked projections
//
// The backend is a kernels.WeightStacker: model.New uploads each layer's
// q/k/v weights as one [QD+2KV, C] tensor and gate/up as one [2, F, C]
// (model/fuse.go; the per-name weights are views). Each normalised
// activation then feeds one MatMul per group instead of two or three:
// one larger tensor-core GEMM (fuller waves; the 512-row k and v of a GQA
// model alone leave SMs idle), one launch, and, for float32 activations
// times bf16/f16 weights, one split of the activation into bf16 hi + lo
// per group, where each weight used to split it again. The q/k/v product
// [BT, QD+2KV] is split into q, k and v by SliceRows, one
// cuMemcpy2DAsync per part (no kernel; it moves 8(QD+2KV) bytes per token,
// each activation split it saves moved 8C); gate/up needs no copy, as its
// product is [2, BT, F] with gate and up contiguous halves.
// BenchmarkCUDATeacherForward and BenchmarkCUDAKDStep time both layouts
// ("stacked", "separate"). A student's parameter block holds the same stacks as
// views wherever its layout puts the parts back to back. CopyRows (the KV
// cache) uses the same 2-d copy, one call for every batch entry. Block-quantized weights are
// dequantized once on the host (kernels/cpu) and cached on the device as
// float32 (a correctness fall-back, not a fast path).
//
// # Training
//
// The backend implements kernels.TrainOps: DistillLoss (one block per row,
// q recomputed from the logits in each pass, so dlogits may alias logits),
// TopKLogProbs (k block-wide arg-max passes per row), SumSquares (float64
// block partials summed on the host in order), NonFinite and AdamW run on
// the GPU; HiddenLoss goes through the CPU backend on host copies.
//
// # Files
//
// *.cu and common.cuh are the kernels. `make kernels-check` (repository
// root) compiles them to ptx/*.sm80.ptx with nvcc and assembles those with
// ptxas for sm_80 and sm_90 into ptx/ptxas.txt (registers, static shared
// memory, stack, spills), using Debian's CUDA toolkit that fetch-toolkit.sh
// caches without installing, and fails on any diff: run it whenever a .cu
// or .cuh file changes and commit ptx/. TestPTXUpToDate and
// TestPTXResources fail when ptx/ drifts from the sources. Launches are
// checked against ptxas.txt's numbers before they reach the driver.
//
// emu/ runs the kernels on the CPU under a fake driver (make
// cuda-emu-test, in CI): the whole cuda-tagged suite in three thread
// orders, plus mutation tests; its README says what it can and cannot
// check. driver.go binds the driver API and cuBLAS (abi-check.sh checks it
// against the CUDA headers); gpu-check.sh runs every GPU test and the
// benchmarks on a real GPU.
package cuda
