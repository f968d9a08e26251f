package cpu

import (
	"fmt"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/gemm"
	"github.com/distill-dev/distill/kernels/half"
	"github.com/distill-dev/distill/kernels/qblock"
)

// MatMul computes out = alpha * op(a) @ op(b) + beta * out.
//
// F32 operands go straight to gemm.Sgemm. Half-precision a (and b without
// transB) are widened to pooled float32 scratch first; block-typed b with
// transB and F32 out runs on integer dot products where the type has them
// (matmulIntDot, activations quantized to 8 bits as llama.cpp does: on
// AVX-512 VNNI, Q8_0, Q4_0, Q4_K, Q5_K and Q6_K at any row count on
// repacked panels where k >= 256; else up to 16 rows of a; not under
// Options.FloatActivations); other
// half-precision or block-typed b with transB is decoded row by row inside
// gemm.SgemmDecodedB (BF16 b on gemm.SgemmBF16B instead, with activations
// rounded to bfloat16, under Options.BF16Compute); a half-precision out is
// computed in float32 scratch and rounded once. Package gemm splits each product between the backend's
// threads; batches of at least that many products run one per thread.
func (b *Backend) MatMul(outT, aT, bT kernels.Tensor, transA, transB bool, alpha, beta float32) {
	o, a, w := tns(outT), tns(aT), tns(bT)
	s := kernels.CheckMatMul(o, a, w, transA, transB)
	if s.M == 0 || s.N == 0 {
		return
	}
	if s.Batch >= b.threads && s.Batch > 1 {
		b.parallelFor(s.Batch, 1, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				b.matmulOne(o, a, w, s, i, transA, transB, alpha, beta, false)
			}
		})
		return
	}
	for i := 0; i < s.Batch; i++ {
		b.matmulOne(o, a, w, s, i, transA, transB, alpha, beta, true)
	}
}

// matmulOne computes batch entry i, split between threads when parallel.
func (b *Backend) matmulOne(o, a, w *tensor, s kernels.MatMulShape, i int, transA, transB bool, alpha, beta float32, parallel bool) {
	m, n, k := s.M, s.N, s.K
	// A operand: float32 storage of entry i, lda its row length.
	aOff := i * m * k
	if s.AShared {
		aOff = 0
	}
	lda := k
	if transA {
		lda = m
	}
	var aF []float32
	var aSp *[]float32
	if a.dt == kernels.F32 {
		aF = a.f32[aOff : aOff+m*k]
	} else {
		aSp = getScratch(m * k)
		aF = *aSp
		load(a, aOff, aF)
		defer putScratch(aSp)
	}
	// B operand: float32 storage, or a row decoder for B^T layouts.
	bOff := 0
	if !s.BShared {
		bOff = i * n * k
	}
	ldb := n
	if transB {
		ldb = k
	}
	oOff := i * m * n
	if transB && !transA && o.dt == kernels.F32 && k > 0 && !b.floatActs &&
		b.matmulIntDot(o.f32[oOff:oOff+m*n], aF, w, bOff/k, m, n, k, alpha, beta, parallel) {
		return
	}
	var bF []float32
	var dec gemm.RowDecoder
	switch {
	case w.dt == kernels.F32:
		bF = w.f32[bOff : bOff+n*k]
	case transB && !transA:
		dec = rowDecoder(w, bOff/max(k, 1), k)
	case w.dt.IsQuantized():
		// transA with block weights: dequantize b (rare; not a model path).
		bSp := getScratch(n * k)
		bF = *bSp
		for r := 0; r < n; r++ {
			decodeRow(w, bOff/max(k, 1)+r, bF[r*k:(r+1)*k])
		}
		defer putScratch(bSp)
	default:
		bSp := getScratch(n * k)
		bF = *bSp
		load(w, bOff, bF)
		defer putScratch(bSp)
	}
	if k == 0 { // out = beta * out; serial, as it may run inside parallelFor
		sp := getScratch(n)
		for r := 0; r < m; r++ {
			v := inout(o, oOff+r*n, n, *sp)
			for j := range v {
				if beta == 0 {
					v[j] = 0
				} else {
					v[j] *= beta
				}
			}
			store(o, oOff+r*n, v)
		}
		putScratch(sp)
		return
	}

	// Options.BF16Compute: BF16 weights on the native bf16 kernel.
	bf16 := dec != nil && w.dt == kernels.BF16 && b.bf16Compute
	threads := 1
	if parallel {
		threads = b.threads
	}
	// block computes out rows [i0, i1); gemm splits it between threads.
	block := func(i0, i1 int) {
		bm := i1 - i0
		var ap []float32
		if transA {
			ap = aF[i0:]
		} else {
			ap = aF[i0*lda:]
		}
		var c []float32
		var cSp *[]float32
		if o.dt == kernels.F32 {
			c = o.f32[oOff+i0*n : oOff+i1*n]
		} else {
			cSp = getScratch(bm * n)
			c = *cSp
			if beta != 0 {
				load(o, oOff+i0*n, c)
			}
		}
		if bf16 {
			gemm.SgemmBF16BThreads(threads, bm, n, k, alpha, ap, lda, w.u16[bOff:bOff+n*k], k, beta, c, n)
		} else if dec != nil {
			gemm.SgemmDecodedBThreads(threads, bm, n, k, alpha, ap, lda, dec, beta, c, n)
		} else {
			gemm.SgemmThreads(threads, transA, transB, bm, n, k, alpha, ap, lda, bF, ldb, beta, c, n)
		}
		if cSp != nil {
			store(o, oOff+i0*n, c)
			putScratch(cSp)
		}
	}
	// A half-precision out is computed in float32 scratch of at most ~1 MiB
	// (but at least 64 rows, so gemm's panels stay efficient).
	rows := m
	if o.dt != kernels.F32 {
		rows = max(64, (1<<18)/n)
	}
	for i0 := 0; i0 < m; i0 += rows {
		block(i0, min(m, i0+rows))
	}
}

// rowDecoder returns a gemm.RowDecoder reading rows [row0, row0+N) of the
// [*, k] tensor w (F16, BF16 or a block type).
func rowDecoder(w *tensor, row0, k int) gemm.RowDecoder {
	switch w.dt {
	case kernels.F16:
		return func(dst []float32, r, k0, k1 int) {
			off := (row0+r)*k + k0
			half.F16ToF32(dst[:k1-k0], w.u16[off:off+k1-k0])
		}
	case kernels.BF16:
		return func(dst []float32, r, k0, k1 int) {
			off := (row0+r)*k + k0
			half.BF16ToF32(dst[:k1-k0], w.u16[off:off+k1-k0])
		}
	}
	rb, err := w.dt.RowBytes(k)
	if err != nil {
		panic(fmt.Sprintf("kernels: MatMul: b %s: %v", w, err))
	}
	if w.dt.BlockSize() == 0 {
		// One block per row (I8CH): a segment needs the whole row decoded.
		return func(dst []float32, r, k0, k1 int) {
			src := w.raw[(row0+r)*rb : (row0+r+1)*rb]
			if k0 == 0 && k1 == k {
				qblock.DecodeRow(w.dt, dst[:k], src)
				return
			}
			sp := getScratch(k)
			qblock.DecodeRow(w.dt, *sp, src)
			copy(dst[:k1-k0], (*sp)[k0:k1])
			putScratch(sp)
		}
	}
	return func(dst []float32, r, k0, k1 int) {
		b0, _ := w.dt.RowBytes(k0)
		b1, _ := w.dt.RowBytes(k1)
		base := (row0 + r) * rb
		qblock.DecodeRow(w.dt, dst[:k1-k0], w.raw[base+b0:base+b1])
	}
}
