package cpu

import (
	"math"

	"github.com/distill-dev/distill/kernels"
)

// RMSNorm: out[n,c] = x[n,c] * rstd[n] * w[c], rstd[n] = 1/sqrt(mean_c x[n,c]^2 + eps).
func (b *Backend) RMSNorm(outT, rstdT, xT, wT kernels.Tensor, eps float32) {
	o, rs, x, w := tns(outT), tns(rstdT), tns(xT), tns(wT)
	n, c := kernels.CheckRMSNorm(o, rs, x, w)
	wSp := getScratch(c)
	defer putScratch(wSp)
	wv := view(w, 0, c, *wSp)
	b.parallelFor(n, rowGrain(c), func(lo, hi int) {
		sp := getScratch(2 * c)
		for r := lo; r < hi; r++ {
			xv := view(x, r*c, c, (*sp)[:c])
			var ss float32
			for _, v := range xv {
				ss += v * v
			}
			s := float32(1 / math.Sqrt(float64(ss/float32(c)+eps)))
			ov := out(o, r*c, c, (*sp)[c:])
			for i, v := range xv {
				ov[i] = v * s * wv[i]
			}
			store(o, r*c, ov)
			if rs != nil {
				rs.f32[r] = s
			}
		}
		putScratch(sp)
	})
}

// RMSNormBackward accumulates, with xhat = x*rstd and g = dout*w:
//
//	dx += rstd * (g - xhat * mean_c(g*xhat))
//	dw += sum_n dout * xhat
func (b *Backend) RMSNormBackward(dxT, dwT, doutT, xT, wT, rstdT kernels.Tensor) {
	dx, dw, do, x, w, rs := tns(dxT), tns(dwT), tns(doutT), tns(xT), tns(wT), tns(rstdT)
	n, c := kernels.CheckRMSNormBackward(dx, dw, do, x, w, rs)
	b.normBackward(dx, dw, nil, do, x, w, nil, rs, n, c)
}

// LayerNorm: out = (x - mean) * rstd * w + b over each row.
func (b *Backend) LayerNorm(outT, meanT, rstdT, xT, wT, bT kernels.Tensor, eps float32) {
	o, mu, rs, x, w, bias := tns(outT), tns(meanT), tns(rstdT), tns(xT), tns(wT), tns(bT)
	n, c := kernels.CheckLayerNorm(o, mu, rs, x, w, bias)
	wSp := getScratch(2 * c)
	defer putScratch(wSp)
	wv := view(w, 0, c, (*wSp)[:c])
	var bv []float32
	if bias != nil {
		bv = view(bias, 0, c, (*wSp)[c:])
	}
	b.parallelFor(n, rowGrain(c), func(lo, hi int) {
		sp := getScratch(2 * c)
		for r := lo; r < hi; r++ {
			xv := view(x, r*c, c, (*sp)[:c])
			var sum float32
			for _, v := range xv {
				sum += v
			}
			m := sum / float32(c)
			var vs float32
			for _, v := range xv {
				d := v - m
				vs += d * d
			}
			s := float32(1 / math.Sqrt(float64(vs/float32(c)+eps)))
			ov := out(o, r*c, c, (*sp)[c:])
			for i, v := range xv {
				ov[i] = (v - m) * s * wv[i]
			}
			if bv != nil {
				for i := range ov {
					ov[i] += bv[i]
				}
			}
			store(o, r*c, ov)
			if mu != nil {
				mu.f32[r] = m
			}
			if rs != nil {
				rs.f32[r] = s
			}
		}
		putScratch(sp)
	})
}

// LayerNormBackward accumulates, with xhat = (x-mean)*rstd and g = dout*w:
//
//	dx += rstd * (g - mean_c(g) - xhat * mean_c(g*xhat))
//	dw += sum_n dout * xhat,  db += sum_n dout
func (b *Backend) LayerNormBackward(dxT, dwT, dbT, doutT, xT, wT, meanT, rstdT kernels.Tensor) {
	dx, dw, db, do, x, w, mu, rs := tns(dxT), tns(dwT), tns(dbT), tns(doutT), tns(xT), tns(wT), tns(meanT), tns(rstdT)
	n, c := kernels.CheckLayerNormBackward(dx, dw, db, do, x, w, mu, rs)
	b.normBackward(dx, dw, db, do, x, w, mu, rs, n, c)
}

// normBackward is the shared backward of RMSNorm (mu == nil: no centring)
// and LayerNorm. Rows are split between workers; each accumulates its own
// dw/db partial sums, added together at the end.
func (b *Backend) normBackward(dx, dw, db, do, x, w, mu, rs *tensor, n, c int) {
	wSp := getScratch(c)
	defer putScratch(wSp)
	wv := view(w, 0, c, *wSp)
	grain := rowGrain(c)
	chunks := max(1, min(b.threads, (n+grain-1)/grain))
	partSp := getScratch(2*c*chunks + c)
	parts := *partSp
	clear(parts)
	b.parallelFor(chunks, 1, func(clo, chi int) {
		sp := getScratch(4 * c)
		xb, db_, dxb, g := (*sp)[:c], (*sp)[c:2*c], (*sp)[2*c:3*c], (*sp)[3*c:]
		for ch := clo; ch < chi; ch++ {
			pdw, pdb := parts[2*ch*c:(2*ch+1)*c], parts[(2*ch+1)*c:(2*ch+2)*c]
			for r := ch * n / chunks; r < (ch+1)*n/chunks; r++ {
				xv := view(x, r*c, c, xb)
				dov := view(do, r*c, c, db_)
				s := rs.f32[r]
				var m float32
				if mu != nil {
					m = mu.f32[r]
				}
				var gMean, gxMean float32
				for i, v := range xv {
					xh := (v - m) * s
					gi := dov[i] * wv[i]
					g[i] = gi
					gMean += gi
					gxMean += gi * xh
					pdw[i] += dov[i] * xh
					pdb[i] += dov[i]
				}
				gMean /= float32(c)
				gxMean /= float32(c)
				if mu == nil {
					gMean = 0
				}
				dxv := inout(dx, r*c, c, dxb)
				for i, v := range xv {
					xh := (v - m) * s
					dxv[i] += s * (g[i] - gMean - xh*gxMean)
				}
				store(dx, r*c, dxv)
			}
		}
		putScratch(sp)
	})
	// Reduce the partials into chunk 0's, then add them to dw and db.
	for ch := 1; ch < chunks; ch++ {
		for i, v := range parts[2*ch*c : 2*(ch+1)*c] {
			parts[i] += v
		}
	}
	buf := parts[2*c*chunks:]
	accumulate(dw, 0, parts[:c], buf)
	if db != nil {
		accumulate(db, 0, parts[c:2*c], buf)
	}
	putScratch(partSp)
}
