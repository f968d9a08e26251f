package kerneltest

import (
	"fmt"

	"github.com/distill-dev/distill/kernels"
)

var normShapes = [][]int{{1, 1}, {3, 7}, {2, 5, 64}, {64, 768}}

func testRMSNorm(e *env) {
	const eps = 1e-5
	for _, dt := range FloatTypes {
		for _, sh := range normShapes {
			n, c := numel(sh[:len(sh)-1]), sh[len(sh)-1]
			x, xv := e.input(dt, 2, sh...)
			w, wv := e.input(dt, 1, c)
			out, _ := e.output(dt, false, sh...)
			rstd, _ := e.output(kernels.F32, false, n)
			e.b.RMSNorm(out.T, rstd.T, x, w, eps)
			want, wr := make([]float64, n*c), make([]float64, n)
			RefRMSNorm(want, wr, xv, wv, n, c, eps)
			name := fmt.Sprintf("RMSNorm %s %v", dt, sh)
			e.check(name, out, want, Tol(dt))
			e.check(name+" rstd", rstd, wr, Tol(kernels.F32))
			out2, _ := e.output(dt, false, sh...)
			e.b.RMSNorm(out2.T, nil, x, w, eps)
			e.check(name+" (nil rstd)", out2, want, Tol(dt))

			dout, dov := e.input(dt, 1, sh...)
			dx, dxv := e.output(dt, true, sh...)
			dw, dwv := e.output(dt, true, c)
			e.b.RMSNormBackward(dx.T, dw.T, dout, x, w, rstd.T)
			RefRMSNormBackward(dxv, dwv, dov, xv, wv, wr, n, c)
			e.check(name+" backward dx", dx, dxv, Tol(dt))
			e.check(name+" backward dw", dw, dwv, Tol(dt))
		}
	}
}

func testLayerNorm(e *env) {
	const eps = 1e-5
	for _, dt := range FloatTypes {
		for _, sh := range normShapes {
			for _, withBias := range []bool{true, false} {
				n, c := numel(sh[:len(sh)-1]), sh[len(sh)-1]
				x, xv := e.input(dt, 2, sh...)
				w, wv := e.input(dt, 1, c)
				var bT kernels.Tensor
				var bv []float64
				if withBias {
					bT, bv = e.input(dt, 1, c)
				}
				out, _ := e.output(dt, false, sh...)
				mean, _ := e.output(kernels.F32, false, n)
				rstd, _ := e.output(kernels.F32, false, n)
				e.b.LayerNorm(out.T, mean.T, rstd.T, x, w, bT, eps)
				want, wm, wr := make([]float64, n*c), make([]float64, n), make([]float64, n)
				RefLayerNorm(want, wm, wr, xv, wv, bv, n, c, eps)
				name := fmt.Sprintf("LayerNorm %s %v bias=%v", dt, sh, withBias)
				e.check(name, out, want, Tol(dt))
				e.check(name+" mean", mean, wm, Tol(kernels.F32))
				e.check(name+" rstd", rstd, wr, Tol(kernels.F32))
				out2, _ := e.output(dt, false, sh...)
				e.b.LayerNorm(out2.T, nil, nil, x, w, bT, eps)
				e.check(name+" (nil mean, rstd)", out2, want, Tol(dt))

				dout, dov := e.input(dt, 1, sh...)
				dx, dxv := e.output(dt, true, sh...)
				dw, dwv := e.output(dt, true, c)
				var db *Guarded
				var dbv []float64
				var dbT kernels.Tensor
				if withBias {
					db, dbv = e.output(dt, true, c)
					dbT = db.T
				}
				e.b.LayerNormBackward(dx.T, dw.T, dbT, dout, x, w, mean.T, rstd.T)
				RefLayerNormBackward(dxv, dwv, dbv, dov, xv, wv, wm, wr, n, c)
				e.check(name+" backward dx", dx, dxv, Tol(dt))
				e.check(name+" backward dw", dw, dwv, Tol(dt))
				if withBias {
					e.check(name+" backward db", db, dbv, Tol(dt))
				}
			}
		}
	}
}

func testRoPE(e *env) {
	type rc struct{ B, T, H, hd, pos int }
	cases := []rc{{1, 1, 1, 2, 0}, {2, 5, 3, 8, 0}, {1, 7, 2, 16, 5}, {2, 33, 4, 64, 100}, {1, 3, 1, 64, 5000}}
	for _, dt := range FloatTypes {
		for _, c := range cases {
			for _, style := range []kernels.RoPEStyle{kernels.RoPEInterleaved, kernels.RoPEHalf} {
				for _, flat := range []bool{false, true} {
					for _, scaled := range []bool{false, true} {
						if flat && c.B > 1 {
							continue
						}
						sh := []int{c.B, c.T, c.H * c.hd}
						if flat {
							sh = sh[1:] // [T, H*hd] is one batch entry
						}
						p := kernels.RoPEParams{Style: style, NHeads: c.H, HeadDim: c.hd, Theta: 10000, PosStart: c.pos}
						var ff []float64
						if scaled {
							// RoPE scaling: each pair's frequency divided by its
							// own factor (1 to 8, as Llama 3's bands).
							p.FreqFactors = make([]float32, c.hd/2)
							for i := range p.FreqFactors {
								p.FreqFactors[i] = 1 + 7*float32(i)/float32(c.hd/2)
								ff = append(ff, float64(p.FreqFactors[i]))
							}
						}
						name := fmt.Sprintf("RoPE %s %+v style %d flat %v scaled %v", dt, c, style, flat, scaled)
						x, xv := e.output(dt, true, sh...)
						e.b.RoPE(x.T, p)
						RefRoPE(xv, c.B, c.T, c.H, c.hd, style == kernels.RoPEHalf, 10000, ff, c.pos, false)
						e.check(name, x, xv, Tol(dt))
						dx, dxv := e.output(dt, true, sh...)
						e.b.RoPEBackward(dx.T, p)
						RefRoPE(dxv, c.B, c.T, c.H, c.hd, style == kernels.RoPEHalf, 10000, ff, c.pos, true)
						e.check(name+" backward", dx, dxv, Tol(dt))
					}
				}
			}
		}
	}
}
