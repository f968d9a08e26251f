//go:build cuda

package cuda

import (
	"github.com/distill-dev/distill/kernels"
)

// cudaType maps a float dtype to cuBLAS's cudaDataType.
func cudaType(dt kernels.DType) int {
	switch dt {
	case kernels.F16:
		return cudaR16F
	case kernels.BF16:
		return cudaR16BF
	}
	return cudaR32F
}

// MatMul computes out = alpha op(a) op(b) + beta out with cuBLAS
// (float32 accumulation). Row-major out = op(a) op(b) is the column-major
// product out^T = op(b)^T op(a)^T, so b is cuBLAS's A and a its B.
//
// cuBLAS wants A and B of one type, and C of that type or F32. F32 a with
// BF16 b (float32 activations, bf16 weights: the teacher forward) runs as
// two bf16 tensor-core GEMMs on a split into bf16 hi + lo, accurate to
// float32, and with F16 b as three (b split too); with FastMatMul set a is
// just rounded to b's type (one GEMM, the precision of a 16-bit PyTorch
// model). Other mixed pairs are widened to F32 scratch; block-typed b is
// dequantized (cached F32); an out of a third type goes through F32
// scratch.
func (b *Backend) MatMul(outT, aT, bT kernels.Tensor, transA, transB bool, alpha, beta float32) {
	o, x, w := tns(outT), tns(aT), tns(bT)
	s := kernels.CheckMatMul(o, x, w, transA, transB)
	if s.Batch*s.M*s.N == 0 {
		return
	}
	if s.K == 0 { // empty product: out = beta out (cuBLAS rejects ld 0)
		if beta == 0 {
			b.Fill(o, 0)
		} else {
			b.Scale(o, beta)
		}
		return
	}
	w = b.dense(w)
	if x.dt == kernels.F32 && w.dt == kernels.BF16 {
		if b.FastMatMul {
			x = b.narrow(x, kernels.BF16)
			defer b.Free(x)
		} else {
			b.matmulSplit(o, x, w, nil, s, transA, transB, alpha, beta)
			return
		}
	}
	if x.dt == kernels.F32 && w.dt == kernels.F16 && !b.FastMatMul {
		// F16 weights are exactly hi + lo in bf16 (11 significant bits in
		// two 8-bit halves, inside bf16's range): three bf16 tensor-core
		// GEMMs instead of widening w and one float32 GEMM.
		wh, wl := b.splitBF16(w)
		defer b.Free(wh)
		defer b.Free(wl)
		b.matmulSplit(o, x, wh, wl, s, transA, transB, alpha, beta)
		return
	}
	if x.dt != w.dt {
		switch {
		case b.FastMatMul && x.dt == kernels.F32:
			x = b.narrow(x, w.dt)
			defer b.Free(x)
		case x.dt != kernels.F32:
			x = b.widen(x)
			defer b.Free(x)
		}
		if w.dt != x.dt {
			w = b.widen(w)
			defer b.Free(w)
		}
	}
	b.gemm(o, x, w, s, transA, transB, alpha, beta)
}

// matmulSplit multiplies F32 a by BF16 weights w (+ wlo, the low half of a
// split F16 weight, or nil) as bf16 GEMMs on a split a = hi + lo (see
// k_split_bf16): a w = hi w + lo w (+ hi wlo; lo wlo is below float32's
// precision), tensor-core speed at float32 accuracy.
func (b *Backend) matmulSplit(o, x, w, wlo *tensor, s kernels.MatMulShape, transA, transB bool, alpha, beta float32) {
	hi, lo := b.splitBF16(x)
	defer b.Free(hi)
	defer b.Free(lo)
	c := o
	if o.dt != kernels.F32 {
		c = b.newTensor("MatMul", kernels.F32, o.shape)
		defer b.Free(c)
		if beta != 0 {
			b.Cast(c, o)
		}
	}
	b.gemm(c, hi, w, s, transA, transB, alpha, beta)
	b.gemm(c, lo, w, s, transA, transB, alpha, 1)
	if wlo != nil {
		b.gemm(c, hi, wlo, s, transA, transB, alpha, 1)
	}
	if c != o {
		b.Cast(o, c)
	}
}

// splitBF16 returns BF16 tensors hi and lo of t's shape with hi + lo = t to
// about 2^-17 relative (exactly, for F16 t); the caller frees both.
func (b *Backend) splitBF16(t *tensor) (hi, lo *tensor) {
	src := t
	if t.dt != kernels.F32 {
		src = b.widen(t)
		defer b.Free(src)
	}
	hi = b.newTensor("MatMul", kernels.BF16, t.shape)
	lo = b.newTensor("MatMul", kernels.BF16, t.shape)
	b.launch1("k_split_bf16", t.numel(), aPtr(hi), aPtr(lo), aPtr(src), aLL(t.numel()))
	return hi, lo
}

// gemm runs one cublasGemmStridedBatchedEx for x and w of one dtype; an out
// of another 16-bit dtype goes through F32 scratch.
func (b *Backend) gemm(o, x, w *tensor, s kernels.MatMulShape, transA, transB bool, alpha, beta float32) {
	c := o
	if o.dt != kernels.F32 && o.dt != x.dt {
		c = b.newTensor("MatMul", kernels.F32, o.shape)
		defer b.Free(c)
		if beta != 0 {
			b.Cast(c, o)
		}
	}
	ta, lda := opN, s.N
	if transB {
		ta, lda = opT, s.K
	}
	tb, ldb := opN, s.K
	if transA {
		tb, ldb = opT, s.M
	}
	sa, sb := int64(s.N*s.K), int64(s.M*s.K) // a stride of 0 shares the operand
	if s.BShared {
		sa = 0
	}
	if s.AShared {
		sb = 0
	}
	b.must("MatMul", b.drv.gemm(ta, tb, s.N, s.M, s.K, alpha,
		w.ptr(), cudaType(w.dt), lda, sa,
		x.ptr(), cudaType(x.dt), ldb, sb,
		beta, c.ptr(), cudaType(c.dt), s.N, int64(s.M*s.N), s.Batch))
	if c != o {
		b.Cast(o, c)
	}
}

// narrow returns a copy of a float tensor rounded to dt (the caller frees it).
func (b *Backend) narrow(t *tensor, dt kernels.DType) *tensor {
	f := b.newTensor("MatMul", dt, t.shape)
	b.Cast(f, t)
	return f
}

// widen returns an F32 copy of a float tensor (the caller frees it).
func (b *Backend) widen(t *tensor) *tensor { return b.narrow(t, kernels.F32) }
