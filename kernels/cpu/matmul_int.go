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
// out[i, j]. Where the CPU has AVX-512 VNNI, Q8_0, Q4_0, Q4_K, Q5_K and
// Q6_K weights run on their repacked panels (qblock.PanelDot, 16 weight rows
// per vector; the tensor's panelCache) at any row count; the same integer
// sums. It equals the float product of the decoded weights with the
// decoded 8-bit activations up to float32 rounding; against the float
// path (gemm.SgemmDecodedB on the unquantized activations) it differs by
// the activations' rounding, at most half a level per element.

// intDotMaxRows is the most rows of a the one-row integer path takes
// (qblock.IntDot per pair of rows) for types without panels (Q4_1, Q5_0,
// Q5_1, Q2_K, Q3_K, or any type without AVX-512 VNNI): beyond it the float
// gemm (weights decoded once per panel, AVX-512 FMA micro-kernel) outruns
// it on AVX-512 machines
// (BenchmarkMatMulQ: at m = 16 the two are about even, at m = 128 the
// float path is ~5x faster), so their prompt processing and evaluation
// stay on the float path. Benchmarks move it to compare the paths.
var intDotMaxRows = 16

// intRowsMinRows is the fewest rows of a from which weights run on their
// panels (tests and benchmarks move it to compare the paths).
var intRowsMinRows = 1

// panelMinK is the shortest row for which products of more than
// intDotMaxRows rows take the panels: stories3M's prompt processing (rows
// of 256 and 768, 1 thread, 128 tokens, 2026-12-02, the 2-core AMD EPYC)
// ran at 24-31k tokens/s with Q8_0 and Q4_0 panels from k = 256 against
// 14-18k on the float path.
var panelMinK = 256

// actPool holds []qblock.Act buffers, reused between calls.
var actPool sync.Pool

// matmulIntDot computes out [m, n] = alpha * a [m, k] @ w[row0:row0+n]^T +
// beta * out with integer dot products, threaded when parallel, and
// reports whether it did: on w's panels when it has them (a row0 on a
// panel boundary) and m <= intDotMaxRows or k >= panelMinK; else one row
// at a time when w's dtype has an integer dot product (qblock.ActType), k
// fills whole activation blocks and m <= intDotMaxRows.
func (b *Backend) matmulIntDot(c []float32, aF []float32, w *tensor, row0, m, n, k int, alpha, beta float32, parallel bool) bool {
	kind, ok := qblock.ActType(w.dt)
	if !ok {
		return false
	}
	if p, prow, ok := w.panelsAt(row0); ok && m >= intRowsMinRows && (m <= intDotMaxRows || k >= panelMinK) {
		b.matmulPanels(c, aF, p, prow, m, n, k, alpha, beta, parallel)
		return true
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

// matmulPanels is matmulIntDot on qblock.PanelDot, for weights repacked
// into panels (p, the product's first weight row at row0): the m rows of
// a quantized once (qblock.QuantizeRows), then each thread takes a range
// of panels (16 weight rows, output columns) against all m rows; alpha
// and beta are applied after, through scratch.
func (b *Backend) matmulPanels(c []float32, aF []float32, p *qblock.Panels, row0, m, n, k int, alpha, beta float32, parallel bool) {
	dt, group := p.DType(), qblock.PanelAlign
	ar, _ := rowsPool.Get().(*qblock.ActRows)
	if ar == nil {
		ar = new(qblock.ActRows)
	}
	defer rowsPool.Put(ar)
	qblock.QuantizeRows(ar, dt, aF[:m*k], m, k)
	out := c[:m*n]
	var sp *[]float32
	if alpha != 1 || beta != 0 {
		sp = getScratch(m * n)
		out = *sp
		defer putScratch(sp)
	}
	groups := (n + group - 1) / group
	fn := func(lo, hi int) {
		j0, j1 := group*lo, min(group*hi, n)
		qblock.PanelDot(p, row0+j0, j1-j0, ar, out[j0:], n)
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
		b.parallelFor(groups, 1, fn)
	} else {
		fn(0, groups)
	}
}
