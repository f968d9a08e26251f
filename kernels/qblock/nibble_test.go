package qblock

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The dispatched inner loops (assembly on amd64 with AVX2) against the Go
// ones: decoders bit for bit, including signed zeros; dot products to
// float32 summation accuracy.
func TestInnerLoops(t *testing.T) {
	r := rand.New(rand.NewPCG(70, 0))
	for _, n := range []int{8, 13, 16, 32, 64, 72} {
		q := make([]byte, n)
		x := make([]float32, 2*n)
		for i := range q {
			q[i] = byte(r.Uint32())
		}
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		cs := [][4]float32{
			{0.5, negZero, -0.25, negZero},
			{-1.5, 0.75, 3, -2},
			{0, negZero, 0, 0}, // all-zero scales: signed zeros must survive
			{1e-3, -1e-3, 7, 1e5},
		}
		for _, c := range cs {
			if n%8 != 0 {
				break // nibble layouts are whole groups of 8 bytes
			}
			for _, off := range []int32{0, -8} {
				got := make([]float32, 2*n+1)
				want := make([]float32, 2*n+1)
				got[2*n], want[2*n] = 42, 42
				nibbles(got, q, c, off)
				nibblesGeneric(want, q, c, off)
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("nibbles n=%d c=%v off=%d: y[%d] = %v, want %v", n, c, off, i, got[i], want[i])
					}
				}
			}
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
		}
		if n%8 == 0 {
			g, w := dotNibbles(x, q), dotNibblesGeneric(x, q)
			for i := range g {
				if math.Abs(float64(g[i]-w[i])) > 1e-4*float64(n) {
					t.Errorf("dotNibbles n=%d: %v, want %v", n, g, w)
				}
			}
		}
		if n%16 == 0 {
			sc := make([]float32, n/16)
			for i := range sc {
				sc[i] = float32(r.NormFloat64())
			}
			sc[0] = negZero
			got := make([]float32, n+1)
			want := make([]float32, n+1)
			got[n], want[n] = 42, 42
			int8sBy16(got[:n], q, sc)
			int8sBy16Generic(want[:n], q, sc)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("int8sBy16 n=%d: y[%d] = %v, want %v", n, i, got[i], want[i])
				}
			}
			if g, w := dotInt8By16(x[:n], q, sc), dotInt8By16Generic(x[:n], q, sc); math.Abs(float64(g-w)) > 1e-3*float64(n) {
				t.Errorf("dotInt8By16 n=%d: %v, want %v", n, g, w)
			}
		}
		if g, w := dotInt8(x[:n], q), dotInt8Generic(x[:n], q); math.Abs(float64(g-w)) > 1e-3*float64(n) {
			t.Errorf("dotInt8 n=%d: %v, want %v", n, g, w)
		}
	}
}
