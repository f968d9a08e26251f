package cpu

import (
	"sync"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/qblock"
)

// Integer dot products for block-typed weights, as llama.cpp computes its
// quantized matmuls: each row of a is quantized once to 8 bits per block
// (qblock.QuantizeAct: Q8_0 for Q8_0 and Q4_0 weights, Q8_K for the
// k-quants), then out[i, j] = alpha * qblock.IntDot(w_j, a_i) + beta *
// out[i, j]. It equals the float product of the decoded weights with the
// decoded 8-bit activations up to float32 rounding; against the float path
// (gemm.SgemmDecodedB on the unquantized activations) it differs by the
// activations' rounding, at most half a level per element.

// intDotMaxRows is the most rows of a the integer path takes: beyond it the
// float gemm (weights decoded once per panel, AVX-512 FMA micro-kernel)
// outruns one-row-at-a-time integer dot products on AVX-512 machines
// (BenchmarkMatMulQ: at m = 16 the two are about even, at m = 128 the
// float path is ~5x faster), so prompt processing and evaluation over
// long windows stay on it until a multi-row integer kernel exists.
// Benchmarks move it to compare the two paths.
var intDotMaxRows = 16

// actPool holds []qblock.Act buffers, reused between calls.
var actPool sync.Pool

// matmulIntDot computes out [m, n] = alpha * a [m, k] @ w[row0:row0+n]^T +
// beta * out with integer dot products, threaded when parallel, and
// reports whether it did: w's dtype must have one (qblock.ActType), k fill
// whole activation blocks, m be at most intDotMaxRows and out be F32.
func (b *Backend) matmulIntDot(c []float32, aF []float32, w *tensor, row0, m, n, k int, alpha, beta float32, parallel bool) bool {
	kind, ok := qblock.ActType(w.dt)
	if !ok || m > intDotMaxRows {
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
