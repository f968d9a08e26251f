package qblock

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"

	"github.com/distill-dev/distill/kernels"
)

// TestPanelDot checks PanelDot (the panel kernels where the CPU has them) and
// its Go form against one-row IntDot on the GGUF rows for every pair, on
// row counts around the panel and group sizes (16 weight rows, 8
// activation rows), first rows at panel boundaries, one and odd block
// counts, extreme levels, and a strided out with guard values.
func TestPanelDot(t *testing.T) {
	for _, dt := range []kernels.DType{kernels.Q8_0, kernels.Q4_0, kernels.Q4_K, kernels.Q5_K, kernels.Q6_K} {
		for _, c := range []struct{ m, rows, row0, n, nb int }{
			{1, 16, 0, 16, 1}, {1, 5, 0, 5, 3}, {2, 40, 16, 24, 2}, {3, 33, 0, 33, 7}, {8, 16, 0, 16, 1},
			{9, 48, 16, 17, 5}, {17, 32, 0, 32, 8}, {16, 20, 16, 4, 32}, {5, 64, 32, 32, 4},
		} {
			t.Run(fmt.Sprintf("%s/m%d_rows%d_from%d_n%d_nb%d", dt, c.m, c.rows, c.row0, c.n, c.nb), func(t *testing.T) {
				k := 32 * c.nb
				if dt.BlockSize() == 256 {
					if c.nb > 8 {
						return
					}
					k = 256 * c.nb
				}
				pr := newRowsProblem(dt, c.rows, c.m, k, 500)
				p := PackPanels(dt, pr.w, pr.rb, c.rows)
				var ar ActRows
				QuantizeRows(&ar, dt, pr.x, c.m, pr.k)
				ldo := c.n + 3
				out := guardedOut(c.m, ldo)
				PanelDot(p, c.row0, c.n, &ar, out, ldo)
				pr.check(t, "PanelDot", c.row0, c.n, out, ldo)
				out = guardedOut(c.m, ldo)
				panelDotGeneric(p, c.row0, c.n, &ar, out, ldo)
				pr.check(t, "panelDotGeneric", c.row0, c.n, out, ldo)
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
	bs := pr.dt.BlockSize() // the activations' block: Q8_0's 32, Q8_K's 256
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

// TestPanelDotPanics checks the caller mistakes PanelDot and PackPanels
// refuse.
func TestPanelDotPanics(t *testing.T) {
	x := testRow(1, 64)
	var ar ActRows
	QuantizeRows(&ar, kernels.Q8_0, x, 1, 64)
	rb, _ := kernels.Q8_0.RowBytes(64)
	p := PackPanels(kernels.Q8_0, make([]byte, 20*rb), rb, 20)
	for name, f := range map[string]func(){
		"pack type":  func() { PackPanels(kernels.Q3_K, make([]byte, 110), 110, 1) },
		"pack bytes": func() { PackPanels(kernels.Q8_0, make([]byte, rb), rb, 2) },
		"row0":       func() { PanelDot(p, 4, 4, &ar, make([]float32, 4), 4) },
		"past end":   func() { PanelDot(p, 16, 5, &ar, make([]float32, 5), 5) },
		"short out":  func() { PanelDot(p, 0, 16, &ar, make([]float32, 15), 16) },
		"activations": func() {
			var a ActRows
			QuantizeRows(&a, kernels.Q4_0, x, 1, 64)
			PanelDot(p, 0, 1, &a, make([]float32, 1), 1)
		},
	} {
		mustPanic(t, name, f)
	}
}

// TestQuantQ8Records checks the records QuantizeRows writes for Q8_0 and
// Q4_0 weights (assembly where the CPU has it) against QuantizeAct's
// levels and scales and c = off*sum(levels), bit for bit, on blocks of
// zeros, of values whose scale is an f16 subnormal or rounds at a tie, and
// of large values.
func TestQuantQ8Records(t *testing.T) {
	const k = 32 * 6
	x := testRow(7, k)
	for i := range 32 {
		x[i] = 0
		x[32+i] = float32(i-16) * 1e-7 // d below f16's normal range
		x[64+i] = float32(i%5-2) * 3e4
	}
	for _, dt := range []kernels.DType{kernels.Q8_0, kernels.Q4_0} {
		var ar ActRows
		QuantizeRows(&ar, dt, x, 1, k)
		var a Act
		QuantizeAct(&a, dt, x)
		off := -128
		if dt == kernels.Q4_0 {
			off = -8
		}
		for b := range k / 32 {
			rec := ar.buf[b*actRecord : (b+1)*actRecord]
			sum := 0
			for e := range 32 {
				if rec[e] != a.q[32*b+e] {
					t.Fatalf("%s block %d level %d: %d, QuantizeAct %d", dt, b, e, int8(rec[e]), int8(a.q[32*b+e]))
				}
				sum += int(int8(rec[e]))
			}
			if d := math.Float32frombits(binary.LittleEndian.Uint32(rec[32:])); math.Float32bits(d) != math.Float32bits(a.d[b]) {
				t.Errorf("%s block %d: d %g, QuantizeAct %g", dt, b, d, a.d[b])
			}
			if c := int(int32(binary.LittleEndian.Uint32(rec[36:]))); c != off*sum {
				t.Errorf("%s block %d: c %d, want %d", dt, b, c, off*sum)
			}
		}
	}
}

// TestQuantQ8KRecords checks the records QuantizeRows writes for Q4_K and
// Q6_K weights (assembly where the CPU has it, Go for the blocks it leaves)
// against QuantizeAct's Q8_K levels and scale, bit for bit, and its sums
// of 16 levels, on blocks of zeros, with +a and -a both at the largest
// magnitude (in either order), all negative, and ordinary ones.
func TestQuantQ8KRecords(t *testing.T) {
	const k = 256 * 6
	x := testRow(9, k)
	for i := range 256 {
		x[i] = 0
		x[512+i] = -abs32(x[512+i]) - 0.1
	}
	x[256+7], x[256+100] = 4, -4
	x[768+3], x[768+200] = -9, 9
	for _, dt := range []kernels.DType{kernels.Q4_K, kernels.Q6_K} {
		var ar ActRows
		QuantizeRows(&ar, dt, x, 1, k)
		checkQ8KRecords(t, &ar, x)
	}
}

// checkQ8KRecords compares ar's records of the row x with QuantizeAct's.
func checkQ8KRecords(t *testing.T, ar *ActRows, x []float32) {
	t.Helper()
	k := len(x)
	var a Act
	for b := range k / 256 {
		QuantizeAct(&a, kernels.Q4_K, x[256*b:256*(b+1)])
		for c := range 8 {
			rec := ar.buf[(8*b+c)*actRecord : (8*b+c+1)*actRecord]
			for e := range 32 {
				if rec[e] != a.q[32*c+e] {
					t.Fatalf("block %d record %d level %d: %d, QuantizeAct %d", b, c, e, int8(rec[e]), int8(a.q[32*c+e]))
				}
			}
			d := math.Float32frombits(binary.LittleEndian.Uint32(rec[32:]))
			s0, s1 := int32(int16(binary.LittleEndian.Uint16(rec[36:]))), int32(int16(binary.LittleEndian.Uint16(rec[38:])))
			if math.Float32bits(d) != math.Float32bits(a.d[0]) || s0 != a.bsums[2*c] || s1 != a.bsums[2*c+1] {
				t.Errorf("block %d record %d: d %g sums %d %d, want %g %d %d", b, c, d, s0, s1, a.d[0], a.bsums[2*c], a.bsums[2*c+1])
			}
		}
	}
}

// BenchmarkMultiRow is a [m, 1024] x [256, 1024]^T product on one thread
// on the panels (PanelDot, activation quantization included) against
// one-row IntDot on the GGUF rows.
func BenchmarkMultiRow(b *testing.B) {
	const n, k = 256, 1024
	for _, m := range []int{1, 8, 128} {
		x := make([]float32, m*k)
		for i := range m {
			copy(x[i*k:], testRow(uint64(i), k))
		}
		for _, dt := range []kernels.DType{kernels.Q8_0, kernels.Q4_0, kernels.Q4_K, kernels.Q5_K, kernels.Q6_K} {
			rb, _ := dt.RowBytes(k)
			var w []byte
			for j := range n {
				w = append(w, encode(dt, testRow(uint64(1000+j), k))...)
			}
			out := make([]float32, m*n)
			p := PackPanels(dt, w, rb, n)
			b.Run(fmt.Sprintf("%s/m%d/panels", dt, m), func(b *testing.B) {
				var ar ActRows
				for b.Loop() {
					QuantizeRows(&ar, dt, x, m, k)
					PanelDot(p, 0, n, &ar, out, n)
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

// TestPanelBytes checks PanelBytes against what PackPanels takes.
func TestPanelBytes(t *testing.T) {
	for _, dt := range []kernels.DType{kernels.Q8_0, kernels.Q4_0, kernels.Q4_K, kernels.Q5_K, kernels.Q6_K} {
		for _, n := range []int{1, 16, 17, 40} {
			rb, _ := dt.RowBytes(512)
			p := PackPanels(dt, make([]byte, n*rb), rb, n)
			if got := PanelBytes(dt, n, 512); got != p.Bytes() {
				t.Errorf("%s, %d rows: PanelBytes %d, PackPanels took %d", dt, n, got, p.Bytes())
			}
		}
	}
	if PanelBytes(kernels.Q3_K, 16, 512) != 0 || PanelBytes(kernels.Q4_K, 16, 100) != 0 {
		t.Error("PanelBytes of a type or row length without panels is not 0")
	}
}
