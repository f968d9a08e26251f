package cpu

import (
	"math"
	"testing"
)

// TestExpf checks expf against float64 exp over the whole float32 range that
// does not overflow, including the underflow to subnormals and zero.
func TestExpf(t *testing.T) {
	worst := 0.0
	for x := float32(-104); x < 88.8; x += 0.00731 {
		got := float64(expf(x))
		want := math.Exp(float64(x))
		if want > math.MaxFloat32 {
			if !math.IsInf(got, 1) {
				t.Errorf("expf(%v) = %v, want +Inf", x, got)
			}
			continue
		}
		ulp := math.Max(float64(math.Nextafter32(float32(want), float32(math.Inf(1)))-float32(want)), 0x1p-149)
		if e := math.Abs(got-want) / ulp; e > worst {
			worst = e
		}
	}
	if worst > 2 {
		t.Errorf("expf worst error %.2f ulp, want <= 2", worst)
	}
	for _, c := range []struct{ x, want float32 }{{0, 1}, {float32(math.Inf(-1)), 0}, {float32(math.Inf(1)), float32(math.Inf(1))}, {-200, 0}, {100, float32(math.Inf(1))}} {
		if got := expf(c.x); got != c.want {
			t.Errorf("expf(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	if got := expf(float32(math.NaN())); got == got {
		t.Errorf("expf(NaN) = %v", got)
	}
}

// benchExp sums f over a row of values in [-10, 10).
func benchExp(b *testing.B, f func(float32) float32) {
	x := make([]float32, 4096)
	for i := range x {
		x[i] = float32(i%200)/10 - 10
	}
	var s float32
	for i := 0; i < b.N; i++ {
		for _, v := range x {
			s += f(v)
		}
	}
	b.SetBytes(4096 * 4)
	sink = s
}

var sink float32

func BenchmarkExpf(b *testing.B) { benchExp(b, expf) }

func BenchmarkMathExp(b *testing.B) {
	benchExp(b, func(x float32) float32 { return float32(math.Exp(float64(x))) })
}

func BenchmarkExpRow(b *testing.B) {
	x := make([]float32, 4096)
	for i := range x {
		x[i] = float32(i%200)/10 - 10
	}
	dst := make([]float32, len(x))
	b.SetBytes(4096 * 4)
	for i := 0; i < b.N; i++ {
		expRow(dst, x)
	}
}

// TestExpRow checks expRow (the assembly where present) and expRowGo against
// float64 exp: within 2 ulp on [-87, 88], flushed to 0 below and +Inf above
// (or exact, for the Go version), NaN kept. Odd lengths cover the tails.
func TestExpRow(t *testing.T) {
	var x []float32
	for v := float32(-87); v <= 88; v += 0.01379 {
		x = append(x, v)
	}
	x = append(x, 0, float32(math.Copysign(0, -1)), 1e-30, -1e-30)
	for name, f := range map[string]func(dst, src []float32){"expRow": expRow, "expRowGo": expRowGo} {
		dst := make([]float32, len(x))
		f(dst, x)
		worst := 0.0
		for i, v := range x {
			want := math.Exp(float64(v))
			ulp := float64(math.Nextafter32(float32(want), float32(math.Inf(1))) - float32(want))
			if e := math.Abs(float64(dst[i])-want) / ulp; e > worst {
				worst = e
			}
		}
		if worst > 2 {
			t.Errorf("%s: worst error %.2f ulp, want <= 2", name, worst)
		}
		edge := []float32{-1000, -87.5, -104, 88.8, 1000, float32(math.Inf(-1)), float32(math.Inf(1)), float32(math.NaN()), 1, 2, 3}
		got := make([]float32, len(edge))
		f(got, edge)
		for i, v := range edge[:5] {
			if want := math.Exp(float64(v)); (want < 1 && got[i] > 1.7e-38) || (want > 1 && got[i] < 1.6e38) {
				t.Errorf("%s(%v) = %v", name, v, got[i])
			}
		}
		if got[5] != 0 || !math.IsInf(float64(got[6]), 1) || got[7] == got[7] {
			t.Errorf("%s(-Inf, +Inf, NaN) = %v", name, got[5:8])
		}
		// In place.
		y := append([]float32(nil), x[:37]...)
		f(y, y)
		for i := range y {
			if y[i] != dst[i] {
				t.Fatalf("%s in place: [%d] = %v, want %v", name, i, y[i], dst[i])
			}
		}
	}
}

// TestExpSum checks expSum (expSubSum on blocks of 256, assembly where the
// CPU has it) against expRow of x-m element for element, bit for bit, and
// its sum against a float64 sum of those values, on row lengths around the
// 8 lanes and the 256 block, in place and not.
func TestExpSum(t *testing.T) {
	for _, n := range []int{1, 7, 8, 9, 31, 256, 300, 1031} {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(math.Sin(float64(i)*0.37)) * 9
		}
		m := maxfGo(x)
		want := make([]float32, n)
		for i, v := range x {
			want[i] = v - m
		}
		expRow(want, want)
		var ref float64
		for _, v := range want {
			ref += float64(v)
		}
		for _, inPlace := range []bool{false, true} {
			dst := make([]float32, n)
			src := x
			if inPlace {
				src = append([]float32(nil), x...)
				dst = src
			}
			got := expSum(dst, src, m)
			for i := range want {
				if dst[i] != want[i] {
					t.Fatalf("n %d in place %v: [%d] = %v, expRow %v", n, inPlace, i, dst[i], want[i])
				}
			}
			if math.Abs(got-ref) > 1e-6*ref {
				t.Errorf("n %d in place %v: sum %v, want %v", n, inPlace, got, ref)
			}
		}
	}
}
