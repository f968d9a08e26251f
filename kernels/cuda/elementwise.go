//go:build cuda

package cuda

import "github.com/distill-dev/distill/kernels"

// Add computes out = a + b elementwise.
func (b *Backend) Add(outT, aT, bT kernels.Tensor) {
	o, x, y := tns(outT), tns(aT), tns(bT)
	n := kernels.CheckAdd(o, x, y)
	b.launch1("k_add", n, aPtr(o), aDT(o), aPtr(x), aDT(x), aPtr(y), aDT(y), aLL(n))
}

// Scale computes t *= s.
func (b *Backend) Scale(tT kernels.Tensor, s float32) {
	t := tns(tT)
	kernels.MustFloat("Scale", t)
	b.launch1("k_scale", t.numel(), aPtr(t), aDT(t), aLL(t.numel()), aF32(s))
}

// AddBias adds bias [C] to every row of x [N, C].
func (b *Backend) AddBias(xT, biasT kernels.Tensor) {
	x, bias := tns(xT), tns(biasT)
	c := kernels.CheckAddBias(x, bias)
	b.launch1("k_add_bias", x.numel(), aPtr(x), aDT(x), aPtr(bias), aDT(bias), aLL(x.numel()), aInt(c))
}

// BiasBackward accumulates dbias[c] += sum over rows of dout[n, c].
func (b *Backend) BiasBackward(dbiasT, doutT kernels.Tensor) {
	db, do := tns(dbiasT), tns(doutT)
	n, c := kernels.CheckBiasBackward(db, do)
	b.launch("k_col_sum", [3]int{(c + 255) / 256, 1, 1}, 256, 0, aPtr(db), aDT(db), aPtr(do), aDT(do), aLL(n), aInt(c))
}

// Cast converts src to dst's dtype.
func (b *Backend) Cast(dstT, srcT kernels.Tensor) {
	dst, src := tns(dstT), tns(srcT)
	kernels.CheckElementwise("Cast", dst, src)
	b.launch1("k_cast", dst.numel(), aPtr(dst), aDT(dst), aPtr(src), aDT(src), aLL(dst.numel()))
}

// SwiGLU: out = silu(gate) * up.
func (b *Backend) SwiGLU(outT, gateT, upT kernels.Tensor) {
	o, g, u := tns(outT), tns(gateT), tns(upT)
	kernels.CheckElementwise("SwiGLU", o, g, u)
	b.launch1("k_swiglu", o.numel(), aPtr(o), aDT(o), aPtr(g), aDT(g), aPtr(u), aDT(u), aLL(o.numel()))
}

// SwiGLUBackward accumulates dgate and dup.
func (b *Backend) SwiGLUBackward(dgateT, dupT, doutT, gateT, upT kernels.Tensor) {
	dg, du, do, g, u := tns(dgateT), tns(dupT), tns(doutT), tns(gateT), tns(upT)
	kernels.CheckElementwise("SwiGLUBackward", g, dg, du, do, u)
	b.launch1("k_swiglu_bwd", g.numel(), aPtr(dg), aDT(dg), aPtr(du), aDT(du), aPtr(do), aDT(do),
		aPtr(g), aDT(g), aPtr(u), aDT(u), aLL(g.numel()))
}

// GELU (tanh approximation).
func (b *Backend) GELU(outT, xT kernels.Tensor) {
	o, x := tns(outT), tns(xT)
	kernels.CheckElementwise("GELU", o, x)
	b.launch1("k_gelu", o.numel(), aPtr(o), aDT(o), aPtr(x), aDT(x), aLL(o.numel()))
}

// GELUBackward accumulates dx.
func (b *Backend) GELUBackward(dxT, doutT, xT kernels.Tensor) {
	dx, do, x := tns(dxT), tns(doutT), tns(xT)
	kernels.CheckElementwise("GELUBackward", x, dx, do)
	b.launch1("k_gelu_bwd", x.numel(), aPtr(dx), aDT(dx), aPtr(do), aDT(do), aPtr(x), aDT(x), aLL(x.numel()))
}
