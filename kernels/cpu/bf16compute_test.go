package cpu_test

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/kernels/gemm"
	"github.com/distill-dev/distill/kernels/half"
)

// bf16Round rounds v to bfloat16 (nearest even) and widens it back.
func bf16Round(v []float32) []float32 {
	u := make([]uint16, len(v))
	half.F32ToBF16(u, v)
	out := make([]float32, len(v))
	half.BF16ToF32(out, u)
	return out
}

// refMatMulBT is the float64 reference of out = alpha * a @ w^T + beta * out
// for batch entries of a [m, k] and w [n, k] (w shared when wShared).
func refMatMulBT(batch, m, n, k int, wShared bool, alpha, beta float64, a, w, out0 []float32) (want, scale []float64) {
	want = make([]float64, batch*m*n)
	scale = make([]float64, batch*m*n)
	for b := 0; b < batch; b++ {
		wOff := b * n * k
		if wShared {
			wOff = 0
		}
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var s, sa float64
				for p := 0; p < k; p++ {
					x := float64(a[(b*m+i)*k+p]) * float64(w[wOff+j*k+p])
					s += x
					sa += math.Abs(x)
				}
				o := (b*m+i)*n + j
				want[o] = alpha*s + beta*float64(out0[o])
				scale[o] = math.Abs(alpha)*sa + math.Abs(beta*float64(out0[o]))
			}
		}
	}
	return want, scale
}

// maxRelErr is the largest |got-want| relative to the magnitude scale of
// the sum that made it.
func maxRelErr(got []float32, want, scale []float64) float64 {
	e := 0.0
	for i := range got {
		e = max(e, math.Abs(float64(got[i])-want[i])/max(scale[i], 1e-30))
	}
	return e
}

// TestBF16Compute: with Options.BF16Compute a MatMul with BF16 weights is the
// float64 product of the bf16-rounded activations (float32 sums); without
// it, the product of the unrounded float32 activations.
func TestBF16Compute(t *testing.T) {
	cases := []struct {
		batch, m, n, k int
		wShared        bool
		alpha, beta    float32
	}{
		{1, 1, 7, 5, true, 1, 0},
		{1, 16, 64, 64, true, 1, 0},
		{1, 37, 129, 300, true, 0.5, 1},
		{3, 20, 33, 2050, false, 1, 0.25},
		{2, 5, 40, 64, true, -1, 0},
	}
	const tol = 1e-5 // float32 sums: a few ulps of the magnitude sum
	for _, c := range cases {
		t.Run(fmt.Sprintf("b%dm%dn%dk%d", c.batch, c.m, c.n, c.k), func(t *testing.T) {
			rng := rand.New(rand.NewSource(int64(c.m*1000 + c.k)))
			nw := c.n * c.k
			if !c.wShared {
				nw *= c.batch
			}
			a := make([]float32, c.batch*c.m*c.k)
			w := make([]float32, nw)
			out0 := make([]float32, c.batch*c.m*c.n)
			for _, v := range [][]float32{a, w, out0} {
				for i := range v {
					v[i] = float32(rng.NormFloat64())
				}
			}
			w = bf16Round(w) // the weights as stored
			wantR, scale := refMatMulBT(c.batch, c.m, c.n, c.k, c.wShared, float64(c.alpha), float64(c.beta), bf16Round(a), w, out0)
			wantF, _ := refMatMulBT(c.batch, c.m, c.n, c.k, c.wShared, float64(c.alpha), float64(c.beta), a, w, out0)
			wShape := []int{c.n, c.k}
			if !c.wShared {
				wShape = []int{c.batch, c.n, c.k}
			}
			for _, on := range []bool{false, true} {
				for _, threads := range []int{1, 3} {
					be := cpu.NewWith(cpu.Options{Threads: threads, BF16Compute: on})
					aT := be.FromFloat32(kernels.F32, a, c.batch, c.m, c.k)
					wT := be.FromFloat32(kernels.BF16, w, wShape...)
					oT := be.FromFloat32(kernels.F32, out0, c.batch, c.m, c.n)
					be.MatMul(oT, aT, wT, false, true, c.alpha, c.beta)
					got := be.ToFloat32(oT, nil)
					want, name := wantF, "float32 activations"
					if on && gemm.BF16Native() {
						want, name = wantR, "bf16-rounded activations"
					}
					if e := maxRelErr(got, want, scale); e > tol {
						t.Errorf("BF16Compute=%v threads=%d: max error %.3g vs the float64 product of %s, want <= %g", on, threads, e, name, tol)
					}
				}
			}
		})
	}
}
