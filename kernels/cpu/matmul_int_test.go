package cpu_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/kernels/qblock"
)

// TestMatMulIntPaths runs MatMul with Q8_0, Q4_0, Q4_K, Q5_K and Q6_K weights on
// their panels (qblock.PanelDot) and on one-row integer dot products
// (qblock.IntDot), on 1 and 3 threads, and compares them with each other
// (within float32 rounding: the same integer block sums, added in another
// order) and with the float product of the decoded weights and the decoded
// 8-bit activations; odd row counts, weight rows that are not a multiple
// of the panels' 16, alpha and beta. Without the panel kernels
// (-tags purego, no AVX-512 VNNI) MatMul does not route to them, and only
// the one-row path is checked.
func TestMatMulIntPaths(t *testing.T) {
	for _, dt := range []kernels.DType{kernels.Q8_0, kernels.Q4_0, kernels.Q4_K, kernels.Q5_K, kernels.Q6_K} {
		for _, c := range []struct {
			m, n, k     int
			alpha, beta float32
		}{
			{1, 4, 32, 1, 0}, {2, 5, 64, 1, 0}, {9, 7, 96, 1, 0}, {17, 13, 256, 0.5, 0.25}, {33, 64, 512, 1, 0}, {130, 6, 64, 2, 1},
			{3, 5, 256, 1, 0}, {11, 9, 768, 1, 0.5}, {19, 6, 1024, 1, 0}, {4, 9, 1280, 0.5, 0}, {8, 35, 64, 1, 0}, {24, 48, 96, 1, 0},
		} {
			if c.k%dt.BlockSize() != 0 {
				continue
			}
			for _, threads := range []int{1, 3} {
				t.Run(fmt.Sprintf("%s/m%d_n%d_k%d_a%g_b%g/threads%d", dt, c.m, c.n, c.k, c.alpha, c.beta, threads), func(t *testing.T) {
					be := cpu.New(threads)
					w := randTensor(be, dt, c.n, c.k)
					x := randTensor(be, kernels.F32, c.m, c.k)
					init := randTensor(be, kernels.F32, c.m, c.n)
					initV := be.ToFloat32(init, nil)
					run := func(maxRows, minRows int) []float32 {
						defer cpu.SetIntDotMaxRows(cpu.SetIntDotMaxRows(maxRows))
						defer cpu.SetIntRowsMinRows(cpu.SetIntRowsMinRows(minRows))
						defer cpu.SetIntRowsMinK(0)()
						out := be.FromFloat32(kernels.F32, initV, c.m, c.n)
						be.MatMul(out, x, w, false, true, c.alpha, c.beta)
						return be.ToFloat32(out, nil)
					}
					one := run(c.m, 1<<30)
					rows := one
					if qblock.PanelKernel(dt) {
						rows = run(0, 1)
					}
					// Reference: decoded weights times decoded 8-bit activations.
					wd, xv := be.ToFloat32(w, nil), be.ToFloat32(x, nil)
					deq := make([]float32, c.m*c.k)
					var a qblock.Act
					for i := range c.m {
						qblock.QuantizeAct(&a, dt, xv[i*c.k:(i+1)*c.k])
						a.Decode(deq[i*c.k : (i+1)*c.k])
					}
					for i := range c.m {
						for j := range c.n {
							var ref, mag float64
							for l := range c.k {
								p := float64(deq[i*c.k+l]) * float64(wd[j*c.k+l])
								ref += p
								mag += math.Abs(p)
							}
							ref = float64(c.alpha)*ref + float64(c.beta)*float64(initV[i*c.n+j])
							mag = math.Abs(float64(c.alpha))*mag + math.Abs(float64(c.beta)*float64(initV[i*c.n+j]))
							tol := 2e-6*mag + 1e-6
							got, o := float64(rows[i*c.n+j]), float64(one[i*c.n+j])
							if math.Abs(got-o) > tol || math.Abs(got-ref) > tol {
								t.Fatalf("[%d, %d]: rows %v, one-row %v, reference %v (tolerance %g)", i, j, got, o, ref, tol)
							}
						}
					}
				})
			}
		}
	}
}

// TestMatMulPanelCache checks that weights repacked for the
// panel kernel follow their tensor: views and reshapes at a panel boundary
// use the root's panels (the same results as the rows of the whole
// product), views elsewhere take another path, and writes into the tensor
// or through any view (Copy, CopyRows, FromFloat32's store) are seen by
// the next product.
func TestMatMulPanelCache(t *testing.T) {
	for _, dt := range []kernels.DType{kernels.Q8_0, kernels.Q4_0, kernels.Q4_K, kernels.Q5_K, kernels.Q6_K} {
		t.Run(dt.String(), func(t *testing.T) {
			be := cpu.New(2)
			const m, n = 5, 48
			k := 64
			if dt.BlockSize() == 256 {
				k = 256
			}
			x := randTensor(be, kernels.F32, m, k)
			product := func(w kernels.Tensor) []float32 {
				rows := w.Shape()[0]
				out := be.Zeros(kernels.F32, m, rows)
				be.MatMul(out, x, w, false, true, 1, 0)
				return be.ToFloat32(out, nil)
			}
			// fresh returns the product with a new tensor holding w's rows now.
			fresh := func(w kernels.Tensor) []float32 {
				return product(be.FromBytes(dt, be.ReadBytes(w), w.Shape()...))
			}
			same := func(what string, got, want []float32) {
				t.Helper()
				for i := range want {
					if math.Abs(float64(got[i]-want[i])) > 1e-4*(1+math.Abs(float64(want[i]))) {
						t.Fatalf("%s: [%d] = %v, want %v", what, i, got[i], want[i])
					}
				}
			}
			cols := func(full []float32, lo, hi int) []float32 {
				var o []float32
				for i := range m {
					o = append(o, full[i*n+lo:i*n+hi]...)
				}
				return o
			}
			seed := uint64(0)
			rnd := func(rows int) kernels.Tensor {
				seed++
				rng := rand.New(rand.NewPCG(seed, 7))
				v := make([]float32, rows*k)
				for i := range v {
					v[i] = float32(rng.NormFloat64())
				}
				return be.FromFloat32(dt, v, rows, k)
			}
			w := rnd(n)
			full := product(w)
			same("view at 16", product(be.View(w, 16, 48)), cols(full, 16, 48))
			same("view at 8", product(be.View(w, 8, 24)), cols(full, 8, 24))
			same("reshape", product(be.Reshape(w, n, k)), full)
			// Writes: the whole tensor, a view, rows copied in.
			be.Copy(w, rnd(n))
			same("after Copy", product(w), fresh(w))
			be.Copy(be.View(w, 16, 32), rnd(16))
			same("after Copy into a view", product(w), fresh(w))
			be.CopyRows(w, rnd(3), 20)
			same("after CopyRows", product(w), fresh(w))
			v := be.View(w, 32, 48)
			product(v)
			be.Copy(w, rnd(n))
			same("view after a write to its root", product(v), cols(fresh(w), 32, 48))
		})
	}
}

// TestMatMulFloatActivations checks Options.FloatActivations: block-typed
// weights then multiply the unquantized activations (the float product of
// the decoded weights), where the default rounds them to 8 bits first.
func TestMatMulFloatActivations(t *testing.T) {
	const m, n, k = 24, 32, 256
	for _, dt := range []kernels.DType{kernels.Q8_0, kernels.Q4_K} {
		be := cpu.NewWith(cpu.Options{Threads: 2, FloatActivations: true})
		w := randTensor(be, dt, n, k)
		x := randTensor(be, kernels.F32, m, k)
		out := be.Zeros(kernels.F32, m, n)
		be.MatMul(out, x, w, false, true, 1, 0)
		got, wd, xv := be.ToFloat32(out, nil), be.ToFloat32(w, nil), be.ToFloat32(x, nil)
		for i := range m {
			for j := range n {
				var ref, mag float64
				for l := range k {
					p := float64(xv[i*k+l]) * float64(wd[j*k+l])
					ref += p
					mag += math.Abs(p)
				}
				if math.Abs(float64(got[i*n+j])-ref) > 1e-6*mag {
					t.Fatalf("%s [%d, %d] = %v, float reference %v", dt, i, j, got[i*n+j], ref)
				}
			}
		}
	}
}
