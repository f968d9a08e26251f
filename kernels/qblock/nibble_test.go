package qblock

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The dispatched int8 loops (assembly on amd64 with AVX2) against the Go
// ones: decoding bit for bit, including signed zeros; the dot product to
// float32 summation accuracy. (The whole-row kernels are checked through
// DecodeRow and DotRow in qblock_test.go.)
func TestInnerLoops(t *testing.T) {
	r := rand.New(rand.NewPCG(70, 0))
	for _, n := range []int{8, 13, 16, 32, 64, 72} {
		q := make([]byte, n)
		x := make([]float32, n)
		for i := range q {
			q[i] = byte(r.Uint32())
			x[i] = float32(r.NormFloat64())
		}
		for _, d := range []float32{0.5, -3, negZero} {
			got := make([]float32, n+1)
			want := make([]float32, n+1)
			got[n], want[n] = 42, 42
			int8s(got[:n], q, d)
			int8sGeneric(want[:n], q, d)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("int8s n=%d d=%v: y[%d] = %v, want %v", n, d, i, got[i], want[i])
				}
			}
			for _, c := range []float32{0, negZero, -0.25, 1.5} {
				levels(got[:n], q, d, c)
				levelsGeneric(want[:n], q, d, c)
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("levels n=%d d=%v c=%v: y[%d] = %v, want %v", n, d, c, i, got[i], want[i])
					}
				}
			}
		}
		if g, w := dotInt8(x, q), dotInt8Generic(x, q); math.Abs(float64(g-w)) > 1e-3*float64(n) {
			t.Errorf("dotInt8 n=%d: %v, want %v", n, g, w)
		}
	}
}
