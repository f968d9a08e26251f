package qblock

import (
	"math"
	"testing"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/half"
)

var intDotTypes = []kernels.DType{kernels.Q8_0, kernels.Q4_0, kernels.Q4_K, kernels.Q5_K, kernels.Q6_K}

// TestIntDot: IntDot equals, up to float32 rounding of the per-block
// scaling, the float64 dot of the decoded weights with the decoded
// activations (d*q); and it stays close to DotRow with the unquantized
// activations (the activations' 8-bit rounding is the only difference).
func TestIntDot(t *testing.T) {
	w := testRow(70, 256*9)
	x := testRow(71, 256*9)
	for _, dt := range intDotTypes {
		src := encode(dt, w)
		wd := decode(dt, src, len(w))
		var a Act
		QuantizeAct(&a, dt, x)
		bs := len(a.q) / len(a.d)
		var want, mag float64
		for i := range x {
			xa := float64(a.d[i/bs]) * float64(int8(a.q[i]))
			want += float64(wd[i]) * xa
			mag += math.Abs(float64(wd[i]) * xa)
		}
		got := IntDot(dt, src, &a)
		if math.Abs(float64(got)-want) > 1e-5*mag {
			t.Errorf("%s: IntDot = %v, dot with decoded activations = %v", dt, got, want)
		}
		if g := intDotGeneric(dt, src, &a); math.Abs(float64(g)-want) > 1e-5*mag {
			t.Errorf("%s: Go IntDot = %v, dot with decoded activations = %v", dt, g, want)
		}
		// The activation rounding: at most half a level per element.
		var bound float64
		for i := range x {
			bound += math.Abs(float64(wd[i])) * float64(a.d[i/bs]) / 2
		}
		if f := DotRow(dt, x, src); math.Abs(float64(got-f)) > bound+1e-5*mag {
			t.Errorf("%s: IntDot = %v, DotRow = %v: more than the activation rounding %v apart", dt, got, f, bound)
		}
	}
}

// TestQuantizeAct checks the activation layouts: Q8_0's assembly against
// its Go loop bit for bit and a hand block; Q8_K on a hand block.
func TestQuantizeAct(t *testing.T) {
	x := testRow(72, 512)
	var a Act
	QuantizeAct(&a, kernels.Q4_0, x)
	q, d := make([]byte, len(x)), make([]float32, len(x)/32)
	quantQ8Generic(q, d, x)
	for i := range x {
		if q[i] != a.q[i] || a.d[i/32] != f16Round(d[i/32]) {
			t.Fatalf("Q8_0 activations at %d: level %d, Go %d; scale %v, Go %v", i, int8(a.q[i]), int8(q[i]), a.d[i/32], f16Round(d[i/32]))
		}
	}
	// m = 254: 127/m = 0.5, ties to even: 2.5 -> 2 (x = 5), -1.5 -> -2 (x = -3).
	h := make([]float32, 32)
	h[0], h[1], h[2], h[31] = 254, 5, -3, -254
	QuantizeAct(&a, kernels.Q8_0, h)
	if a.d[0] != 2 || a.q[0] != 127 || a.q[1] != 2 || int8(a.q[2]) != -2 || int8(a.q[31]) != -127 {
		t.Errorf("Q8_0 hand block: d %v q %v %v %v %v", a.d[0], a.q[0], a.q[1], int8(a.q[2]), int8(a.q[31]))
	}
	// Q8_K: m = -254 (largest magnitude, negative): iscale = 0.5, q = x/2.
	k := make([]float32, 256)
	k[0], k[1], k[17] = -254, 100, 3
	QuantizeAct(&a, kernels.Q6_K, k)
	if a.d[0] != 2 || int8(a.q[0]) != -127 || a.q[1] != 50 || a.q[17] != 2 || a.bsums[0] != -77 || a.bsums[1] != 2 {
		t.Errorf("Q8_K activations: d %v q %v %v %v bsums %v", a.d[0], int8(a.q[0]), a.q[1], a.q[17], a.bsums[:2])
	}
}

func f16Round(v float32) float32 { return half.WidenF16(half.RoundF16(v)) }

func BenchmarkIntDot(b *testing.B) {
	x := testRow(61, benchN)
	w := testRow(62, benchN)
	for _, dt := range intDotTypes {
		src := encode(dt, w)
		var a Act
		QuantizeAct(&a, dt, x)
		b.Run(dt.String(), func(b *testing.B) {
			for b.Loop() {
				IntDot(dt, src, &a)
			}
		})
	}
}

// BenchmarkGEMV is one activation row times 64 weight rows of 4096, the
// shape of generation: float (DotRow) against integer (QuantizeAct once,
// then IntDot per row, the activation quantization included).
func BenchmarkGEMV(b *testing.B) {
	const rows = 64
	x := testRow(64, benchN)
	for _, dt := range intDotTypes {
		w := make([][]byte, rows)
		for r := range w {
			w[r] = encode(dt, testRow(uint64(100+r), benchN))
		}
		b.Run(dt.String()+"/float", func(b *testing.B) {
			for b.Loop() {
				for _, src := range w {
					DotRow(dt, x, src)
				}
			}
		})
		b.Run(dt.String()+"/int", func(b *testing.B) {
			var a Act
			for b.Loop() {
				QuantizeAct(&a, dt, x)
				for _, src := range w {
					IntDot(dt, src, &a)
				}
			}
		})
	}
}

func BenchmarkQuantizeAct(b *testing.B) {
	x := testRow(65, benchN)
	for _, dt := range []kernels.DType{kernels.Q8_0, kernels.Q4_K} {
		b.Run(dt.String(), func(b *testing.B) {
			var a Act
			for b.Loop() {
				QuantizeAct(&a, dt, x)
			}
		})
	}
}
