// Package cpu is distill's pure-Go CPU implementation of kernels.Backend,
// registered as device "cpu" (all cores) or "cpu:N" (N worker threads).
//
// # Storage
//
// F32 tensors are []float32, F16 and BF16 []uint16, I32 []int32 and the block
// types []byte laid out as package kernels/qblock defines. FromBytes
// reinterprets suitably aligned bytes in place (so a memory-mapped checkpoint
// is not copied) and copies otherwise. Views and reshapes share storage.
//
// # Numerics
//
// Every op computes in float32: 16-bit operands are widened with package
// kernels/half, block types decoded with qblock.DecodeRow, and 16-bit
// outputs rounded once (nearest even) at the end. Row reductions (norms,
// softmax) accumulate in float32 except the softmax denominator over long
// vocabulary rows, which accumulates in float64. Exponentials use expf, a
// float32 exp accurate to about 1 ulp.
//
// # Operations
//
// MatMul hands F32 operands to gemm.SgemmThreads and half-precision or
// block-typed weights with transB (the [N, K] weight layout) to
// gemm.SgemmDecodedBThreads, which decodes rows into its packed panels.
// Q8_0, Q4_0, Q4_K, Q5_K and Q6_K weights run instead on llama.cpp-style
// integer dot products (matmul_int.go): each row of a quantized once to 8
// bits per block (qblock.QuantizeAct), the weight rows split between
// threads. Where the CPU has AVX-512 VNNI, Q8_0, Q4_0, Q4_K, Q5_K and Q6_K
// weights are repacked on first use into panels of 16 rows (panels.go, as
// llama.cpp's CPU backend repacks at load) and run on qblock.PanelDot at
// any row count on rows (k) of 256 or more (shorter rows: up to 16 rows of
// a): prompt processing, evaluation and generation. Without it, and for
// the rest, at most 16 rows (token generation) run on qblock.IntDot per
// (row, weight row). The output then equals the product of the decoded
// weights with the decoded 8-bit activations, as in llama.cpp. Longer
// products without panels stay on the float path, which on AVX-512
// outruns one-row integer dot products (BenchmarkMatMulQ).
//
// Attention is a flash-attention forward: per (batch, head) pair, blocks of
// 64 query rows stream blocks of up to 256 key rows; each tile's logits
// S = scale Q K^T are a small gemm, and a running row maximum m and
// normaliser l rescale the partial output:
//
//	m' = max(m, rowmax S), l' = l e^(m-m') + rowsum e^(S-m'),
//	O' = O e^(m-m') + e^(S-m') V,  out = O/l,  lse = m + log l
//
// so no T x S matrix exists. The backward (FlashAttention-2) recomputes
// P = e^(S - lse) per tile from the saved lse, with D = rowsum(dO .* O):
//
//	dV += P^T dO,  dS = P .* (dO V^T - D),  dQ += scale dS K,  dK += scale dS^T Q
//
// and is split by (batch, kv head) so that grouped query heads accumulate
// into their shared dK, dV without races.
//
// RoPE uses cached cos/sin tables per (theta, head dim) whose angles
// p * theta^(-2i/hd) are computed in float64 and rounded once; the
// backward rotates by the negative angle.
//
// Row-wise ops run on a persistent worker pool, split into contiguous row
// ranges of at least ~16K elements, so small inputs run serially; scratch
// buffers come from a sync.Pool, so steady-state passes do not allocate per
// op.
package cpu
