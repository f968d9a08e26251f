// Package gemm is distill's single-precision matrix multiply: C = alpha*op(A)*op(B) + beta*C
// on row-major float32 matrices, with B optionally decoded on the fly from a
// narrower storage type (half precision or quantized blocks).
//
// # What it computes
//
// Sgemm must equal, up to float32 rounding of the sums, the naive loop kept in
// naive.go (and tested against a float64 reference):
//
//	for i := 0; i < m; i++ {
//		for j := 0; j < n; j++ {
//			var s float32
//			for p := 0; p < k; p++ {
//				s += opA(i, p) * opB(p, j) // opA(i,p) = A[i*lda+p], or A[p*lda+i] with transA
//			}                              // opB(p,j) = B[p*ldb+j], or B[j*ldb+p] with transB
//			C[i*ldc+j] = alpha*s + beta*C[i*ldc+j] // C not read when beta == 0
//		}
//	}
//
// SgemmDecodedB is the transB case with row j of B produced by a RowDecoder,
// so that F16/BF16/quantized weights ([N, K] rows) are multiplied without a
// float32 copy of the whole matrix. The order of the additions differs from
// the naive loop (blocks of k are summed separately, then added), so results
// differ from it by rounding only: |error| <= (k+2) * 2^-23 * sum_p |a*b|.
//
// # How: the GotoBLAS/BLIS blocking
//
// Peak speed needs the FMA units fed from registers and L1, not memory. The
// product is cut in three levels of blocks (driver.go):
//
//	for jc := 0; jc < n; jc += nc          // B block: kc x nc, lives in L3
//	  for pc := 0; pc < k; pc += kc        //   pack op(B)[pc:pc+kc, jc:jc+nc]
//	    for ic := 0; ic < m; ic += mc      // A block: mc x kc, lives in L2
//	      pack op(A)[ic:ic+mc, pc:pc+kc]
//	      for jr := 0; jr < nc; jr += nr   //   B micro-panel kc x nr, lives in L1
//	        for ir := 0; ir < mc; ir += mr
//	          micro: C[ic+ir:+mr, jc+jr:+nr] += A panel * B panel  (in registers)
//
// Packing copies each block into the exact order the micro-kernel reads:
// an A panel holds, for each p, the mr values of a column of its rows; a B
// panel holds, for each p, the nr values of a row. The kernel then streams
// both with unit stride whatever the transposes, and edges are padded with
// zeros (an edge tile is computed in full into a scratch tile and the valid
// corner merged into C). The first k block applies beta; later ones add.
// A B stored [N, K] (transB, the layout of every weight matrix) is
// transposed while packing, 16x16 blocks at a time in AVX-512 registers;
// with a RowDecoder the rows are decoded into a small staging buffer first,
// k ranges aligned to DecodeAlign.
//
// The micro-kernels (kernel_amd64.s, written by gen_amd64.go) keep an
// mr x nr tile of C in vector registers: AVX-512 8x32 (16 zmm accumulators;
// per k step 2 loads of B, 8 broadcasts of A, 16 FMAs) and AVX2+FMA 6x16
// (12 ymm accumulators). The best one the CPU supports is chosen at start-up
// with golang.org/x/sys/cpu; a portable Go 4x4 kernel runs elsewhere, and the
// tests run every kernel available, the Go one included. Block sizes are per
// kernel and were measured (kernel_amd64.go): for AVX-512, mc = 128 and
// kc = 256 (a 128 KiB A block in L2, a 32 KiB B micro-panel in L1), nc = 1536.
//
// # Threads
//
// Sgemm uses runtime.GOMAXPROCS(0) goroutines (SgemmThreads lets a caller
// that is itself parallel ask for one), the caller's and helpers kept
// between calls (pool.go). As in OpenBLAS, each goroutine owns a near-equal
// share of the rows of C: it packs its own rows of A, which stay in its
// core's L2, and multiplies them by every panel of the shared B block. The
// B panels of a block are packed by whichever goroutine comes first, each
// starting with its own share of them; a panel another goroutine is still
// packing is put off until the rest are done, and a goroutine waits only
// for such a panel at the end, and (two B buffers alternating) before it
// overwrites the block that the others may still read. There is no barrier.
// In the last step of a call the shares are cut into chunks of 64 rows, and
// a goroutine that runs out of its own takes the others' last chunks (and
// packs their A itself), so that neither waits long for the other at the
// end of a call: for the helper's wake-up, or for a core that another
// process took for a while.
// Handing out tiles dynamically instead, as this package did before, let
// either core take any tile, and the two cores then read each other's
// packed blocks: 2 threads ran 15-20% slower per core than one. Problems
// under about 96^3 multiply-adds run on the calling goroutine.
//
// # bf16
//
// SgemmBF16BThreads (bf16.go) multiplies activations rounded to bfloat16
// by bfloat16 weights with float32 sums, through the same driver: packing
// puts k-pairs of bfloat16 in each 32-bit word and the AVX512_BF16 kernel
// (microAVX512BF16_8x32, VDPBF16PS written as EVEX bytes) does one pair per
// step; a Go kernel computes the same numbers elsewhere. On the Xeon this
// was measured on, VDPBF16PS has about half the throughput of the fp32
// FMAs; on Zen 5 it has the same, with two products per lane, and the
// bf16 GEMM runs about 2x the fp32 one (BenchmarkSgemmBF16). Where the
// CPU has AMX-BF16 and Linux grants the tile state (arch_prctl, once per
// process), SgemmBF16BThreads runs the AMX kernel instead (amx_amd64.go:
// 32x32 blocks of C in four tiles, TDPBF16PS, A packed row by row), about
// 4x the fp32 GEMM per CPU-second on that Xeon. The CPU backend calls it
// for BF16 weights only when asked (cpu.Options.BF16Compute, distill
// --bf16-matmul).
//
// # m == 1
//
// One activation row times a weight matrix (token-by-token generation) is
// bound by reading B, so it skips packing: gemv.go takes four rows of B at a
// time (decoded into a small buffer for SgemmDecodedB) and computes four dot
// products in one pass over x, rows split over goroutines.
package gemm
