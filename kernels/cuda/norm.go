//go:build cuda

package cuda

import "github.com/distill-dev/distill/kernels"

// normThreads is the block size of the one-block-per-row kernels.
func normThreads(c int) int {
	switch {
	case c >= 2048:
		return 512
	case c >= 512:
		return 256
	}
	return 128
}

// RMSNorm: out = x / sqrt(mean(x^2) + eps) * w.
func (b *Backend) RMSNorm(outT, rstdT, xT, wT kernels.Tensor, eps float32) {
	o, rs, x, w := tns(outT), tns(rstdT), tns(xT), tns(wT)
	n, c := kernels.CheckRMSNorm(o, rs, x, w)
	b.launch("k_rmsnorm", [3]int{n, 1, 1}, normThreads(c), 0, aPtr(o), aDT(o), aPtr(rs), aPtr(x), aDT(x),
		aPtr(w), aDT(w), aInt(c), aF32(eps))
}

// RMSNormBackward accumulates dx and dw.
func (b *Backend) RMSNormBackward(dxT, dwT, doutT, xT, wT, rstdT kernels.Tensor) {
	dx, dw, do, x, w, rs := tns(dxT), tns(dwT), tns(doutT), tns(xT), tns(wT), tns(rstdT)
	n, c := kernels.CheckRMSNormBackward(dx, dw, do, x, w, rs)
	b.launch("k_rmsnorm_bwd", [3]int{n, 1, 1}, normThreads(c), 0, aPtr(dx), aDT(dx), aPtr(do), aDT(do),
		aPtr(x), aDT(x), aPtr(w), aDT(w), aPtr(rs), aInt(c))
	b.launch("k_norm_dw", [3]int{(c + 127) / 128, 1, 1}, 128, 0, aPtr(dw), aDT(dw), 0, 0, aPtr(do), aDT(do),
		aPtr(x), aDT(x), 0, aPtr(rs), aLL(n), aInt(c))
}

// LayerNorm: out = (x - mean) * rstd * w + b.
func (b *Backend) LayerNorm(outT, meanT, rstdT, xT, wT, bT kernels.Tensor, eps float32) {
	o, mu, rs, x, w, bias := tns(outT), tns(meanT), tns(rstdT), tns(xT), tns(wT), tns(bT)
	n, c := kernels.CheckLayerNorm(o, mu, rs, x, w, bias)
	b.launch("k_layernorm", [3]int{n, 1, 1}, normThreads(c), 0, aPtr(o), aDT(o), aPtr(mu), aPtr(rs),
		aPtr(x), aDT(x), aPtr(w), aDT(w), aPtr(bias), dtOr0(bias), aInt(c), aF32(eps))
}

// LayerNormBackward accumulates dx, dw and db (db may be nil).
func (b *Backend) LayerNormBackward(dxT, dwT, dbT, doutT, xT, wT, meanT, rstdT kernels.Tensor) {
	dx, dw, db, do, x, w, mu, rs := tns(dxT), tns(dwT), tns(dbT), tns(doutT), tns(xT), tns(wT), tns(meanT), tns(rstdT)
	n, c := kernels.CheckLayerNormBackward(dx, dw, db, do, x, w, mu, rs)
	b.launch("k_layernorm_bwd", [3]int{n, 1, 1}, normThreads(c), 0, aPtr(dx), aDT(dx), aPtr(do), aDT(do),
		aPtr(x), aDT(x), aPtr(w), aDT(w), aPtr(mu), aPtr(rs), aInt(c))
	b.launch("k_norm_dw", [3]int{(c + 127) / 128, 1, 1}, 128, 0, aPtr(dw), aDT(dw), aPtr(db), dtOr0(db),
		aPtr(do), aDT(do), aPtr(x), aDT(x), aPtr(mu), aPtr(rs), aLL(n), aInt(c))
}

// dtOr0 is t's dtype argument, 0 for a nil (optional) tensor.
func dtOr0(t *tensor) uint64 {
	if t == nil {
		return 0
	}
	return aDT(t)
}
