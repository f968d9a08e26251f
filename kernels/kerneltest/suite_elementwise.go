package kerneltest

import (
	"math"

	"github.com/distill-dev/distill/kernels"
)

// shapes exercised by elementwise and row-wise ops: odd sizes, a single
// element, and one large enough to be split between threads.
var ewShapes = [][]int{{1}, {3, 5}, {2, 3, 7}, {70, 1000}}

func testElementwise(e *env) {
	for _, dt := range FloatTypes {
		for _, sh := range ewShapes {
			n := numel(sh)
			a, av := e.input(dt, 1, sh...)
			bb, bv := e.input(dt, 1, sh...)
			out, _ := e.output(dt, false, sh...)
			e.b.Add(out.T, a, bb)
			want := make([]float64, n)
			for i := range want {
				want[i] = av[i] + bv[i]
			}
			e.check("Add "+dt.String(), out, want, Tol(dt))

			// out aliasing a.
			g, gv := e.output(dt, true, sh...)
			e.b.Add(g.T, g.T, bb)
			for i := range gv {
				gv[i] += bv[i]
			}
			e.check("Add in place "+dt.String(), g, gv, Tol(dt))

			s, sv := e.output(dt, true, sh...)
			e.b.Scale(s.T, -0.375)
			for i := range sv {
				sv[i] *= -0.375
			}
			e.check("Scale "+dt.String(), s, sv, Tol(dt))
		}
	}
}

func testBias(e *env) {
	for _, dt := range FloatTypes {
		for _, sh := range [][]int{{1, 1}, {5, 7}, {2, 3, 33}, {300, 200}} {
			n, c := numel(sh[:len(sh)-1]), sh[len(sh)-1]
			x, xv := e.output(dt, true, sh...)
			bias, bv := e.input(dt, 1, c)
			e.b.AddBias(x.T, bias)
			for i := range xv {
				xv[i] += bv[i%c]
			}
			e.check("AddBias "+dt.String(), x, xv, Tol(dt))

			dout, dv := e.input(dt, 1, sh...)
			db, dbv := e.output(dt, true, c)
			e.b.BiasBackward(db.T, dout)
			RefBiasBackward(dbv, dv, n, c)
			e.check("BiasBackward "+dt.String(), db, dbv, Tol(dt))
		}
	}
}

func testActivations(e *env) {
	for _, dt := range FloatTypes {
		for _, sh := range ewShapes {
			n := numel(sh)
			g, gv := e.input(dt, 2, sh...)
			u, uv := e.input(dt, 1, sh...)
			out, _ := e.output(dt, false, sh...)
			e.b.SwiGLU(out.T, g, u)
			want := make([]float64, n)
			RefSwiGLU(want, gv, uv)
			e.check("SwiGLU "+dt.String(), out, want, Tol(dt))

			dout, dov := e.input(dt, 1, sh...)
			dg, dgv := e.output(dt, true, sh...)
			du, duv := e.output(dt, true, sh...)
			e.b.SwiGLUBackward(dg.T, du.T, dout, g, u)
			RefSwiGLUBackward(dgv, duv, dov, gv, uv)
			e.check("SwiGLUBackward dgate "+dt.String(), dg, dgv, Tol(dt))
			e.check("SwiGLUBackward dup "+dt.String(), du, duv, Tol(dt))

			x, xv := e.input(dt, 2, sh...)
			gout, _ := e.output(dt, false, sh...)
			e.b.GELU(gout.T, x)
			RefGELU(want, xv)
			e.check("GELU "+dt.String(), gout, want, Tol(dt))

			dx, dxv := e.output(dt, true, sh...)
			e.b.GELUBackward(dx.T, dout, x)
			RefGELUBackward(dxv, dov, xv)
			e.check("GELUBackward "+dt.String(), dx, dxv, Tol(dt))
		}
	}
	// Saturation: large |x| must give exact limits, not NaN.
	x := e.b.FromFloat32(kernels.F32, []float32{-100, -30, 30, 100}, 4)
	out, _ := e.output(kernels.F32, false, 4)
	e.b.SwiGLU(out.T, x, e.b.FromFloat32(kernels.F32, []float32{1, 1, 1, 1}, 4))
	e.check("SwiGLU saturation", out, []float64{-100 / (1 + math.Exp(100)), -30 / (1 + math.Exp(30)), 30, 100}, 1e-6)
	e.b.GELU(out.T, x)
	e.check("GELU saturation", out, []float64{0, 0, 30, 100}, 1e-6)
}
