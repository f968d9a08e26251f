package gemm

import (
	"fmt"
	"runtime"
)

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices, like
// cblas_sgemm(CblasRowMajor, ...). op(A) is m x k, op(B) is k x n, C is m x n.
// With transA, A is stored k x m; with transB, B is stored n x k. When beta is
// 0, C is not read (NaN in C is overwritten). It runs on
// runtime.GOMAXPROCS(0) goroutines when the problem is large enough.
//
// It must equal, up to float32 rounding of the sums, the naive loop
//
//	for i, j: C[i,j] = alpha * sum_p opA[i,p]*opB[p,j] + beta*C[i,j]
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	SgemmThreads(0, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SgemmThreads is Sgemm on at most threads goroutines; threads <= 0 means
// runtime.GOMAXPROCS(0). Callers that already run many GEMMs in parallel
// (one per attention head, say) pass 1.
func SgemmThreads(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkDims(m, n, k)
	if transA {
		checkMatrix("A", a, k, m, lda)
	} else {
		checkMatrix("A", a, m, k, lda)
	}
	if transB {
		checkMatrix("B", b, n, k, ldb)
	} else {
		checkMatrix("B", b, k, n, ldb)
	}
	checkMatrix("C", c, m, n, ldc)
	p := &problem{
		transA: transA, transB: transB,
		m: m, n: n, k: k,
		alpha: alpha, beta: beta,
		a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc,
	}
	run(p, threads)
}

// RowDecoder writes elements [k0, k1) of row n of an N x K matrix B (stored
// in some narrower type, row-major as [N, K]) into dst[:k1-k0] as float32.
// k0 is always a multiple of DecodeAlign; k1 is a multiple of DecodeAlign or K.
// It is called from several goroutines at once, so it must not mutate shared
// state.
type RowDecoder func(dst []float32, n, k0, k1 int)

// DecodeAlign is the granularity of the k ranges passed to a RowDecoder; it is
// a multiple of every block size (the largest, Q4_K/Q6_K, is 256).
const DecodeAlign = 256

// SgemmDecodedB computes C = alpha*A*B^T + beta*C where A is m x k (row-major,
// leading dimension lda) and B is n x k, read only through decode. No full
// float32 copy of B is made: rows are decoded straight into the packed B
// panels (or, for m == 1, into a per-goroutine buffer of a few rows). When beta
// is 0, C is not read.
//
// It must equal the naive loop
//
//	for j: row = decode(B[j, :]); for i: C[i,j] = alpha * sum_p A[i,p]*row[p] + beta*C[i,j]
func SgemmDecodedB(m, n, k int, alpha float32, a []float32, lda int, decode RowDecoder, beta float32, c []float32, ldc int) {
	SgemmDecodedBThreads(0, m, n, k, alpha, a, lda, decode, beta, c, ldc)
}

// SgemmDecodedBThreads is SgemmDecodedB on at most threads goroutines;
// threads <= 0 means runtime.GOMAXPROCS(0).
func SgemmDecodedBThreads(threads, m, n, k int, alpha float32, a []float32, lda int, decode RowDecoder, beta float32, c []float32, ldc int) {
	checkDims(m, n, k)
	checkMatrix("A", a, m, k, lda)
	checkMatrix("C", c, m, n, ldc)
	if decode == nil && m > 0 && n > 0 && k > 0 {
		panic("gemm: SgemmDecodedB with a nil RowDecoder")
	}
	p := &problem{
		transB: true,
		m:      m, n: n, k: k,
		alpha: alpha, beta: beta,
		a: a, lda: lda, decode: decode, c: c, ldc: ldc,
	}
	run(p, threads)
}

// problem is one GEMM call: the operands and how to read them.
type problem struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a              []float32
	lda            int
	b              []float32 // nil when decode or b16 is set
	b16            []uint16  // bfloat16 B stored [N, K] for SgemmBF16BThreads
	ldb            int
	decode         RowDecoder
	c              []float32
	ldc            int
}

// run dispatches p to the special cases or the blocked driver.
func run(p *problem, threads int) {
	if p.m == 0 || p.n == 0 {
		return
	}
	if p.k == 0 || p.alpha == 0 {
		scaleC(p.c, p.m, p.n, p.ldc, p.beta)
		return
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	kern := active
	if p.b16 != nil {
		blocked(p, threads, bf16Kernel())
		return
	}
	if p.m == 1 && p.transB {
		gemv(p, threads, kern)
		return
	}
	blocked(p, threads, kern)
}

// scaleC sets C = beta*C, without reading C when beta is 0.
func scaleC(c []float32, m, n, ldc int, beta float32) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

func checkDims(m, n, k int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
}

// checkMatrix panics unless s can hold a rows x cols row-major matrix with
// leading dimension ld.
func checkMatrix[T float32 | uint16](name string, s []T, rows, cols, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("gemm: leading dimension of %s is %d, want >= %d", name, ld, max(1, cols)))
	}
	if rows == 0 || cols == 0 {
		return
	}
	if need := (rows-1)*ld + cols; len(s) < need {
		panic(fmt.Sprintf("gemm: %s has %d elements, want >= %d for %dx%d with leading dimension %d", name, len(s), need, rows, cols, ld))
	}
}
