package cpu

import (
	"math"
	"sync"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/qblock"
)

// Integer dot products for block-typed weights, as llama.cpp computes its
// quantized matmuls: each row of a is quantized once to 8 bits per block
// (qblock.QuantizeAct: Q8_0 for Q8_0 and Q4_0 weights, Q8_K for the
// k-quants), then out[i, j] = alpha * qblock.IntDot(w_j, a_i) + beta *
// out[i, j], for Q8_0, Q4_0, Q4_K and Q6_K on qblock.IntDotRows where the
// CPU has it (tiles of 4 weight rows x 8 activation rows, the same integer
// sums). It
// equals the float product of the decoded weights with the decoded 8-bit
// activations up to float32 rounding; against the float path
// (gemm.SgemmDecodedB on the unquantized activations) it differs by the
// activations' rounding, at most half a level per element.

// intDotMaxRows is the most rows of a the one-row integer path takes
// (qblock.IntDot per pair of rows) for types without a multi-row kernel
// (Q5_K): beyond it the float gemm (weights decoded once per panel,
// AVX-512 FMA micro-kernel) outruns it on AVX-512 machines
// (BenchmarkMatMulQ: at m = 16 the two are about even, at m = 128 the
// float path is ~5x faster), so their prompt processing and evaluation
// stay on the float path. Benchmarks move it to compare the paths.
var intDotMaxRows = 16

// intRowsMinRows is the fewest rows of a from which Q8_0, Q4_0, Q4_K and
// Q6_K weights run on the multi-row integer kernel (qblock.IntDotRows: 4 weight
// rows x 8 activation rows per call; for Q8_0 and Q4_0 4 x 1 for the last
// 1-2 rows) where the CPU has it (qblock.RowsKernel), at any row count;
// below it, and without the kernel, they take the one-row path. The
// k-quant tiles have no one-row form, so they start at kRowsMinRows. CPU time per
// row of a [m, 1024] x [2816, 1024]^T product, one thread, best of 5
// (shared 2-core AMD EPYC with AVX-512 VNNI, 2026-12-02), multi-row /
// one-row / float path: Q4_0 m = 1: 72 / 139 / 283 us, m = 16: 23 / 128 /
// 100, m = 128: 24 / 127 / 37; Q8_0 m = 1: 69 / 116 / 196, m = 16: 23 /
// 134 / 173, m = 128: 29 / 117 / 43; Q4_K m = 1: 164 / 94 / 429, m = 4:
// 44 / 90 / 476, m = 16: 23 / 90 / 113, m = 128: 24 / 89 / 39; Q6_K m =
// 4: 49 / 81 / 685, m = 128: 26 / 81 / 48. Tests and
// benchmarks move it to compare the paths.
var intRowsMinRows = 1

// kRowsMinRows is where Q4_K and Q6_K weights start on the multi-row kernel
// (see intRowsMinRows).
const kRowsMinRows = 3

// intRowsMinK is the shortest row (k) for which products of more than
// intDotMaxRows rows take the multi-row kernel rather than the float path,
// and Q4_K and Q6_K products take it at all: on short rows the tile's
// per-call work and the activations' quantization (Go for Q8_K) cost as
// much as they save. CPU time per multiply-add, 128 rows, one thread,
// multi-row / float: Q4_K k = 256: 14 / 13 ps (n = 768), k = 512: 15 /
// 14, k = 1024: 8 / 14; Q6_K k = 256: 15 / 15, k = 512: 16 / 16; Q8_0 and
// Q4_0 k = 256: 11-14 / 11-13, and stories3M's prompt processing (rows of
// 256 and 768) ran 5-10% slower on the multi-row kernel. Tests and
// benchmarks move it.
var intRowsMinK = 1024

// actPool holds []qblock.Act buffers, reused between calls.
var actPool sync.Pool

// matmulIntDot computes out [m, n] = alpha * a [m, k] @ w[row0:row0+n]^T +
// beta * out with integer dot products, threaded when parallel, and
// reports whether it did: w's dtype must have one (qblock.ActType), k fill
// whole activation blocks, m be at most intDotMaxRows and out be F32.
func (b *Backend) matmulIntDot(c []float32, aF []float32, w *tensor, row0, m, n, k int, alpha, beta float32, parallel bool) bool {
	kind, ok := qblock.ActType(w.dt)
	if !ok {
		return false
	}
	minRows, short := intRowsMinRows, k < intRowsMinK
	if w.dt == kernels.Q4_K || w.dt == kernels.Q6_K {
		minRows = max(minRows, kRowsMinRows)
		if short {
			minRows = math.MaxInt // one-row up to intDotMaxRows rows, then float
		}
	}
	if qblock.RowsKernel(w.dt) && m >= minRows && (m <= intDotMaxRows || !short) {
		return b.matmulIntRows(c, aF, w, row0, m, n, k, alpha, beta, parallel)
	}
	if m > intDotMaxRows {
		return false
	}
	bs := 32
	if kind != kernels.Q8_0 {
		bs = 256
	}
	if k%bs != 0 || w.dt.BlockSize() == 0 || k%w.dt.BlockSize() != 0 {
		return false
	}
	rb, err := w.dt.RowBytes(k)
	if err != nil {
		return false
	}
	ap, _ := actPool.Get().(*[]qblock.Act)
	if ap == nil {
		ap = new([]qblock.Act)
	}
	if cap(*ap) < m {
		*ap = append((*ap)[:cap(*ap)], make([]qblock.Act, m-cap(*ap))...)
	}
	acts := (*ap)[:m]
	defer actPool.Put(ap)

	run := func(n, grain int, fn func(lo, hi int)) {
		if parallel {
			b.parallelFor(n, grain, fn)
		} else {
			fn(0, n)
		}
	}
	run(m, 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			qblock.QuantizeAct(&acts[i], w.dt, aF[i*k:(i+1)*k])
		}
	})
	// Each thread owns a contiguous range of weight rows (output columns);
	// each weight row meets all m activation rows while its bytes are in
	// L1, so it is read from memory once.
	run(n, 16, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			src := w.raw[(row0+j)*rb : (row0+j+1)*rb]
			for i := range m {
				v := alpha * qblock.IntDot(w.dt, src, &acts[i])
				if beta != 0 {
					v += beta * c[i*n+j]
				}
				c[i*n+j] = v
			}
		}
	})
	return true
}

// rowsPool holds *qblock.ActRows, reused between calls.
var rowsPool sync.Pool

// matmulIntRows is matmulIntDot on qblock.IntDotRows, for Q8_0, Q4_0, Q4_K
// and Q6_K weights: the m rows of a quantized once, then each thread takes a range
// of groups of 4 weight rows (output columns) against all m rows.
func (b *Backend) matmulIntRows(c []float32, aF []float32, w *tensor, row0, m, n, k int, alpha, beta float32, parallel bool) bool {
	if k%w.dt.BlockSize() != 0 {
		return false
	}
	rb, err := w.dt.RowBytes(k)
	if err != nil {
		return false
	}
	ar, _ := rowsPool.Get().(*qblock.ActRows)
	if ar == nil {
		ar = new(qblock.ActRows)
	}
	defer rowsPool.Put(ar)
	qblock.QuantizeRows(ar, w.dt, aF[:m*k], m, k)
	out := c[:m*n]
	var sp *[]float32
	if alpha != 1 || beta != 0 {
		sp = getScratch(m * n)
		out = *sp
		defer putScratch(sp)
	}
	groups := (n + 3) / 4
	fn := func(lo, hi int) {
		j0, j1 := 4*lo, min(4*hi, n)
		qblock.IntDotRows(w.dt, w.raw[(row0+j0)*rb:(row0+j1)*rb], rb, j1-j0, ar, out[j0:], n)
		if sp == nil {
			return
		}
		for i := range m {
			o, s := c[i*n+j0:i*n+j1], out[i*n+j0:i*n+j1]
			for j, v := range s {
				if beta != 0 {
					o[j] = alpha*v + beta*o[j]
				} else {
					o[j] = alpha * v
				}
			}
		}
	}
	if parallel {
		b.parallelFor(groups, 4, fn)
	} else {
		fn(0, groups)
	}
	return true
}
