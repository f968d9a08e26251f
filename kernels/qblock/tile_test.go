package qblock

import (
	"fmt"
	"math"
	"testing"

	"github.com/distill-dev/distill/kernels"
)

// TestIntDotRows checks IntDotRows (the tile kernels where the CPU has
// them, else Go) against one-row IntDot for every pair of rows, on row
// counts around the tile sizes (4 weight rows, 8 activation rows), one and
// odd block counts, extreme levels, and a strided out with guard values.
func TestIntDotRows(t *testing.T) {
	for _, dt := range []kernels.DType{kernels.Q8_0, kernels.Q4_0, kernels.Q4_K, kernels.Q6_K} {
		for _, c := range []struct{ m, n, nb int }{
			{1, 1, 1}, {1, 4, 3}, {3, 5, 2}, {8, 4, 1}, {9, 7, 5}, {17, 12, 8}, {16, 9, 32}, {2, 3, 7},
		} {
			t.Run(fmt.Sprintf("%s/m%d_n%d_nb%d", dt, c.m, c.n, c.nb), func(t *testing.T) {
				bs := 32
				if dt == kernels.Q4_K || dt == kernels.Q6_K {
					bs = 256
					if c.nb > 8 {
						return
					}
				}
				k := bs * c.nb
				rb, _ := dt.RowBytes(k)
				w := make([]byte, 0, c.n*rb)
				wd := make([][]float32, c.n)
				for j := range c.n {
					row := testRow(uint64(300+j), k)
					if j == 2 { // extreme: every weight at a maximum magnitude
						for i := range row {
							row[i] = float32(1-2*(i%2)) * 3
						}
					}
					src := encode(dt, row)
					w = append(w, src...)
					wd[j] = decode(dt, src, k)
				}
				x := make([]float32, c.m*k)
				for i := range c.m {
					row := testRow(uint64(400+i), k)
					if i == 1 {
						for l := range row {
							row[l] = float32(1-2*(l/3%2)) * 5
						}
					}
					copy(x[i*k:], row)
				}
				ldo := c.n + 3
				out := make([]float32, c.m*ldo)
				const guard = -12345
				for i := range out {
					out[i] = guard
				}
				var ar ActRows
				QuantizeRows(&ar, dt, x, c.m, k)
				IntDotRows(dt, w, rb, c.n, &ar, out, ldo)
				var a Act
				for i := range c.m {
					QuantizeAct(&a, dt, x[i*k:(i+1)*k])
					for j := range ldo {
						got := out[i*ldo+j]
						if j >= c.n {
							if got != guard {
								t.Fatalf("out[%d, %d] = %v, a guard value was overwritten", i, j, got)
							}
							continue
						}
						want := IntDot(dt, w[j*rb:(j+1)*rb], &a)
						var mag float64
						for l := range k {
							mag += math.Abs(float64(wd[j][l]) * float64(a.d[l/bs]) * float64(int8(a.q[l])))
						}
						if math.Abs(float64(got-want)) > 1e-5*mag {
							t.Errorf("[%d, %d] = %v, IntDot %v", i, j, got, want)
						}
					}
				}
			})
		}
	}
}

// TestIntDotRowsPanics checks the caller mistakes IntDotRows refuses.
func TestIntDotRowsPanics(t *testing.T) {
	x := testRow(1, 64)
	var ar ActRows
	QuantizeRows(&ar, kernels.Q8_0, x, 1, 64)
	rb, _ := kernels.Q4_0.RowBytes(64)
	for name, f := range map[string]func(){
		"type":      func() { IntDotRows(kernels.Q4_0, make([]byte, rb), rb, 1, &ar, make([]float32, 1), 1) },
		"row bytes": func() { IntDotRows(kernels.Q8_0, make([]byte, 68), 60, 1, &ar, make([]float32, 1), 1) },
		"short out": func() { IntDotRows(kernels.Q8_0, make([]byte, 136), 68, 2, &ar, make([]float32, 1), 1) },
		"k":         func() { QuantizeRows(&ar, kernels.Q8_0, x, 2, 30) },
		"dtype":     func() { QuantizeRows(&ar, kernels.Q6_K, x, 1, 64) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// BenchmarkIntDotRows is a [128, 1024] x [256, 1024]^T tile run on one
// thread, against one-row IntDot on the same work.
func BenchmarkIntDotRows(b *testing.B) {
	const m, n, k = 128, 256, 1024
	x := make([]float32, m*k)
	for i := range m {
		copy(x[i*k:], testRow(uint64(i), k))
	}
	for _, dt := range []kernels.DType{kernels.Q8_0, kernels.Q4_0} {
		rb, _ := dt.RowBytes(k)
		var w []byte
		for j := range n {
			w = append(w, encode(dt, testRow(uint64(1000+j), k))...)
		}
		out := make([]float32, m*n)
		b.Run(dt.String()+"/rows", func(b *testing.B) {
			var ar ActRows
			for b.Loop() {
				QuantizeRows(&ar, dt, x, m, k)
				IntDotRows(dt, w, rb, n, &ar, out, n)
			}
			b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOP/s")
		})
		b.Run(dt.String()+"/onerow", func(b *testing.B) {
			acts := make([]Act, m)
			for b.Loop() {
				for i := range m {
					QuantizeAct(&acts[i], dt, x[i*k:(i+1)*k])
				}
				for j := range n {
					for i := range m {
						out[i*n+j] = IntDot(dt, w[j*rb:(j+1)*rb], &acts[i])
					}
				}
			}
			b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOP/s")
		})
	}
}
