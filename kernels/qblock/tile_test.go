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
	for _, dt := range []kernels.DType{kernels.Q6_K} {
		for _, c := range []struct{ m, n, nb int }{
			{1, 1, 1}, {1, 4, 3}, {3, 5, 2}, {8, 4, 1}, {9, 7, 5}, {17, 12, 8}, {16, 9, 32}, {2, 3, 7},
		} {
			t.Run(fmt.Sprintf("%s/m%d_n%d_nb%d", dt, c.m, c.n, c.nb), func(t *testing.T) {
				if c.nb > 8 {
					return
				}
				pr := newRowsProblem(dt, c.n, c.m, 256*c.nb, 300)
				ldo := c.n + 3
				out := guardedOut(c.m, ldo)
				var ar ActRows
				QuantizeRows(&ar, dt, pr.x, c.m, pr.k)
				IntDotRows(dt, pr.w, pr.rb, c.n, &ar, out, ldo)
				pr.check(t, "IntDotRows", 0, c.n, out, ldo)
			})
		}
	}
}

// rowsProblem is a multi-row product to test: weight rows of dtype dt
// (every 16th from the third at extreme levels) and m activation rows (the
// second extreme), k elements each.
type rowsProblem struct {
	dt   kernels.DType
	m, k int
	rb   int         // bytes per weight row
	w    []byte      // the encoded weight rows
	wd   [][]float32 // their decoded values
	x    []float32   // [m, k] activations
}

// newRowsProblem draws a rowsProblem from seed.
func newRowsProblem(dt kernels.DType, rows, m, k int, seed uint64) *rowsProblem {
	pr := &rowsProblem{dt: dt, m: m, k: k, wd: make([][]float32, rows), x: make([]float32, m*k)}
	pr.rb, _ = dt.RowBytes(k)
	for j := range rows {
		row := testRow(seed+uint64(j), k)
		if j%16 == 2 { // extreme: every weight at a maximum magnitude
			for i := range row {
				row[i] = float32(1-2*(i%2)) * 3
			}
		}
		src := encode(dt, row)
		pr.w = append(pr.w, src...)
		pr.wd[j] = decode(dt, src, k)
	}
	for i := range m {
		row := testRow(seed+100+uint64(i), k)
		if i == 1 {
			for l := range row {
				row[l] = float32(1-2*(l/3%2)) * 5
			}
		}
		copy(pr.x[i*k:], row)
	}
	return pr
}

// guard fills the out columns a product must not write.
const guard = -12345

// guardedOut returns an [m, ldo] out filled with guard.
func guardedOut(m, ldo int) []float32 {
	out := make([]float32, m*ldo)
	for i := range out {
		out[i] = guard
	}
	return out
}

// check compares out [m, ldo], the products of weight rows [row0,
// row0+n) with the activation rows, with one-row IntDot (within float32
// rounding of the sum of the products' magnitudes) and checks that the
// columns past n kept their guard.
func (pr *rowsProblem) check(t *testing.T, name string, row0, n int, out []float32, ldo int) {
	t.Helper()
	bs := 32
	if pr.dt == kernels.Q4_K || pr.dt == kernels.Q6_K {
		bs = 256
	}
	var a Act
	for i := range pr.m {
		QuantizeAct(&a, pr.dt, pr.x[i*pr.k:(i+1)*pr.k])
		for j := range ldo {
			got := out[i*ldo+j]
			if j >= n {
				if got != guard {
					t.Fatalf("%s: out[%d, %d] = %v, a guard value was overwritten", name, i, j, got)
				}
				continue
			}
			r := row0 + j
			want := IntDot(pr.dt, pr.w[r*pr.rb:(r+1)*pr.rb], &a)
			var mag float64
			for l := range pr.k {
				mag += math.Abs(float64(pr.wd[r][l]) * float64(a.d[l/bs]) * float64(int8(a.q[l])))
			}
			if math.Abs(float64(got-want)) > 1e-5*mag {
				t.Errorf("%s: [%d, %d] = %v, IntDot %v", name, i, j, got, want)
			}
		}
	}
}

// TestIntDotRowsPanics checks the caller mistakes IntDotRows refuses.
func TestIntDotRowsPanics(t *testing.T) {
	x := testRow(1, 512)
	var ar ActRows
	QuantizeRows(&ar, kernels.Q6_K, x, 1, 256)
	rb, _ := kernels.Q6_K.RowBytes(256)
	for name, f := range map[string]func(){
		"panel type": func() { IntDotRows(kernels.Q4_0, make([]byte, 144), 144, 1, &ar, make([]float32, 1), 1) },
		"type":       func() { IntDotRows(kernels.Q4_K, make([]byte, 144), 144, 1, &ar, make([]float32, 1), 1) },
		"row bytes":  func() { IntDotRows(kernels.Q6_K, make([]byte, 2*rb), 2*rb, 1, &ar, make([]float32, 1), 1) },
		"short out":  func() { IntDotRows(kernels.Q6_K, make([]byte, 2*rb), rb, 2, &ar, make([]float32, 1), 1) },
		"k":          func() { QuantizeRows(&ar, kernels.Q6_K, x, 2, 200) },
		"dtype":      func() { QuantizeRows(&ar, kernels.Q5_K, x, 1, 256) },
	} {
		mustPanic(t, name, f)
	}
}

// BenchmarkMultiRow is a [m, 1024] x [256, 1024]^T product on one thread
// on the multi-row kernels (PanelDot on repacked Q8_0 and Q4_0 rows,
// IntDotRows's tiles for Q4_K and Q6_K), activation quantization included,
// against one-row IntDot on the same work.
func BenchmarkMultiRow(b *testing.B) {
	const n, k = 256, 1024
	for _, m := range []int{1, 8, 128} {
		x := make([]float32, m*k)
		for i := range m {
			copy(x[i*k:], testRow(uint64(i), k))
		}
		for _, dt := range []kernels.DType{kernels.Q8_0, kernels.Q4_0, kernels.Q4_K, kernels.Q6_K} {
			rb, _ := dt.RowBytes(k)
			var w []byte
			for j := range n {
				w = append(w, encode(dt, testRow(uint64(1000+j), k))...)
			}
			out := make([]float32, m*n)
			dot := func(ar *ActRows) { IntDotRows(dt, w, rb, n, ar, out, n) }
			if PanelType(dt) {
				p := PackPanels(dt, w, rb, n)
				dot = func(ar *ActRows) { PanelDot(p, 0, n, ar, out, n) }
			}
			b.Run(fmt.Sprintf("%s/m%d/rows", dt, m), func(b *testing.B) {
				var ar ActRows
				for b.Loop() {
					QuantizeRows(&ar, dt, x, m, k)
					dot(&ar)
				}
				b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOP/s")
			})
			b.Run(fmt.Sprintf("%s/m%d/onerow", dt, m), func(b *testing.B) {
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
}
