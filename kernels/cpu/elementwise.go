package cpu

import (
	"github.com/distill-dev/distill/kernels"
)

// ewBlock is the element count one elementwise chunk converts at a time, so
// scratch stays in L1/L2 whatever the dtypes.
const ewBlock = 4096

// eachBlock runs fn over [0, n) in blocks of at most ewBlock elements, in
// parallel, handing it six ewBlock-long scratch buffers.
func (b *Backend) eachBlock(n int, fn func(off, m int, s *[6][]float32)) {
	blocks := (n + ewBlock - 1) / ewBlock
	b.parallelFor(blocks, 4, func(lo, hi int) {
		sp := getScratch(6 * ewBlock)
		var s [6][]float32
		for i := range s {
			s[i] = (*sp)[i*ewBlock : (i+1)*ewBlock]
		}
		for blk := lo; blk < hi; blk++ {
			off := blk * ewBlock
			fn(off, min(ewBlock, n-off), &s)
		}
		putScratch(sp)
	})
}

// Copy copies src into dst (same element count), converting dtypes.
func (b *Backend) Copy(dstT, srcT kernels.Tensor) {
	dst, src := tns(dstT), tns(srcT)
	n := kernels.CheckCopy(dst, src)
	if dst.dt == src.dt {
		copy(dst.bytes(), src.bytes())
		dst.written()
		return
	}
	if dst.dt.IsQuantized() || src.dt.IsQuantized() {
		// Rare (export paths): go through one float32 copy of the whole tensor.
		tmp := b.ToFloat32(src, nil)
		_, c := dst.rows()
		b.parallelFor(n/max(c, 1), 1, func(lo, hi int) {
			store(dst, lo*c, tmp[lo*c:hi*c])
		})
		return
	}
	b.eachBlock(n, func(off, m int, s *[6][]float32) {
		o := out(dst, off, m, s[0])
		load(src, off, o)
		store(dst, off, o)
	})
}

// Cast converts src to dst's dtype (same shape, float types).
func (b *Backend) Cast(dstT, srcT kernels.Tensor) {
	dst, src := tns(dstT), tns(srcT)
	kernels.CheckElementwise("Cast", dst, src)
	b.Copy(dst, src)
}

// Fill sets every element of a float tensor to v.
func (b *Backend) Fill(x kernels.Tensor, v float32) {
	t := tns(x)
	mustFloat("Fill", t)
	b.eachBlock(t.numel(), func(off, m int, s *[6][]float32) {
		o := out(t, off, m, s[0])
		for i := range o {
			o[i] = v
		}
		store(t, off, o)
	})
}

// Add computes out = a + b elementwise.
func (b *Backend) Add(outT, aT, bT kernels.Tensor) {
	o, x, y := tns(outT), tns(aT), tns(bT)
	n := kernels.CheckAdd(o, x, y)
	b.eachBlock(n, func(off, m int, s *[6][]float32) {
		xv, yv := view(x, off, m, s[0]), view(y, off, m, s[1])
		ov := out(o, off, m, s[2])
		for i := range ov {
			ov[i] = xv[i] + yv[i]
		}
		store(o, off, ov)
	})
}

// Scale computes t *= s in place.
func (b *Backend) Scale(x kernels.Tensor, sc float32) {
	t := tns(x)
	mustFloat("Scale", t)
	b.eachBlock(t.numel(), func(off, m int, s *[6][]float32) {
		o := inout(t, off, m, s[0])
		for i := range o {
			o[i] *= sc
		}
		store(t, off, o)
	})
}

// AddBias adds bias [C] to every row of x [N, C] in place.
func (b *Backend) AddBias(xT, biasT kernels.Tensor) {
	x, bias := tns(xT), tns(biasT)
	c := kernels.CheckAddBias(x, bias)
	n := x.numel() / max(c, 1)
	bSp := getScratch(c)
	defer putScratch(bSp)
	bv := view(bias, 0, c, *bSp)
	b.parallelFor(n, rowGrain(c), func(lo, hi int) {
		sp := getScratch(c)
		for r := lo; r < hi; r++ {
			o := inout(x, r*c, c, *sp)
			for i := range o {
				o[i] += bv[i]
			}
			store(x, r*c, o)
		}
		putScratch(sp)
	})
}

// BiasBackward accumulates dbias[c] += sum over rows of dout[n, c].
func (b *Backend) BiasBackward(dbiasT, doutT kernels.Tensor) {
	dbias, dout := tns(dbiasT), tns(doutT)
	n, c := kernels.CheckBiasBackward(dbias, dout)
	// Columns are split between workers so that no two write the same sum.
	b.parallelFor(c, 64, func(lo, hi int) {
		w := hi - lo
		sp := getScratch(2 * w)
		acc, tmp := (*sp)[:w], (*sp)[w:]
		load(dbias, lo, acc)
		for r := 0; r < n; r++ {
			d := view(dout, r*c+lo, w, tmp)
			for i, v := range d {
				acc[i] += v
			}
		}
		store(dbias, lo, acc)
		putScratch(sp)
	})
}

// rowGrain is the number of rows of length c worth one parallel chunk
// (about 16K elements), so small inputs run serially.
func rowGrain(c int) int { return max(1, 16384/max(c, 1)) }

// SwiGLU: out = silu(gate) * up.
func (b *Backend) SwiGLU(outT, gateT, upT kernels.Tensor) {
	o, g, u := tns(outT), tns(gateT), tns(upT)
	kernels.CheckElementwise("SwiGLU", o, g, u)
	b.eachBlock(o.numel(), func(off, m int, s *[6][]float32) {
		gv, uv := view(g, off, m, s[0]), view(u, off, m, s[1])
		ov := out(o, off, m, s[2])
		e := negExp(s[3], gv)
		for i := range ov {
			ov[i] = gv[i] / (1 + e[i]) * uv[i]
		}
		store(o, off, ov)
	})
}

// SwiGLUBackward accumulates dgate += dout*up*silu'(gate), dup += dout*silu(gate).
func (b *Backend) SwiGLUBackward(dgateT, dupT, doutT, gateT, upT kernels.Tensor) {
	dg, du, do, g, u := tns(dgateT), tns(dupT), tns(doutT), tns(gateT), tns(upT)
	kernels.CheckElementwise("SwiGLUBackward", g, dg, du, do, u)
	b.eachBlock(g.numel(), func(off, m int, s *[6][]float32) {
		gv, uv, dov := view(g, off, m, s[0]), view(u, off, m, s[1]), view(do, off, m, s[2])
		dgv, duv := inout(dg, off, m, s[3]), inout(du, off, m, s[4])
		e := negExp(s[5], gv)
		for i := range gv {
			x := gv[i]
			sig := 1 / (1 + e[i])
			silu := x * sig
			duv[i] += dov[i] * silu
			dgv[i] += dov[i] * uv[i] * sig * (1 + x*(1-sig))
		}
		store(dg, off, dgv)
		store(du, off, duv)
	})
}

const geluScale = 0.7978845608028654 // sqrt(2/pi)

// GELU (tanh approximation): out = 0.5 x (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3))).
func (b *Backend) GELU(outT, xT kernels.Tensor) {
	o, x := tns(outT), tns(xT)
	kernels.CheckElementwise("GELU", o, x)
	b.eachBlock(o.numel(), func(off, m int, s *[6][]float32) {
		xv := view(x, off, m, s[0])
		ov := out(o, off, m, s[1])
		th := tanhRow(s[2], xv)
		for i, v := range xv {
			ov[i] = 0.5 * v * (1 + th[i])
		}
		store(o, off, ov)
	})
}

// GELUBackward accumulates dx += dout * gelu'(x).
func (b *Backend) GELUBackward(dxT, doutT, xT kernels.Tensor) {
	dx, do, x := tns(dxT), tns(doutT), tns(xT)
	kernels.CheckElementwise("GELUBackward", x, dx, do)
	b.eachBlock(x.numel(), func(off, m int, s *[6][]float32) {
		xv, dov := view(x, off, m, s[0]), view(do, off, m, s[1])
		dxv := inout(dx, off, m, s[2])
		ths := tanhRow(s[3], xv)
		for i, v := range xv {
			th := ths[i]
			sech2 := 1 - th*th
			grad := 0.5*(1+th) + 0.5*v*sech2*geluScale*(1+3*0.044715*v*v)
			dxv[i] += grad * dov[i]
		}
		store(dx, off, dxv)
	})
}

// negExp returns buf[i] = e^-x[i].
func negExp(buf, x []float32) []float32 {
	buf = buf[:len(x)]
	for i, v := range x {
		buf[i] = -v
	}
	expRow(buf, buf)
	return buf
}

// tanhRow returns buf[i] = tanh(sqrt(2/pi) (x + 0.044715 x^3)), the GELU
// inner term, as 1 - 2/(e^2u + 1) (e^2u saturates to 0 or +Inf, giving -1
// or 1 exactly).
func tanhRow(buf, x []float32) []float32 {
	buf = buf[:len(x)]
	for i, v := range x {
		buf[i] = 2 * geluScale * (v + 0.044715*v*v*v)
	}
	expRow(buf, buf)
	for i, e := range buf {
		buf[i] = 1 - 2/(e+1)
	}
	return buf
}
