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
	for _, dt := range []kernels.DType{kernels.Q8_0, kernels.Q4_0, kernels.Q4_K} {
		for _, c := range []struct{ m, rows, row0, n, nb int }{
			{1, 16, 0, 16, 1}, {1, 5, 0, 5, 3}, {2, 40, 16, 24, 2}, {3, 33, 0, 33, 7}, {8, 16, 0, 16, 1},
			{9, 48, 16, 17, 5}, {17, 32, 0, 32, 8}, {16, 20, 16, 4, 32}, {5, 64, 32, 32, 4},
		} {
			t.Run(fmt.Sprintf("%s/m%d_rows%d_from%d_n%d_nb%d", dt, c.m, c.rows, c.row0, c.n, c.nb), func(t *testing.T) {
				k := 32 * c.nb
				if dt == kernels.Q4_K {
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

// TestPanelDotPanics checks the caller mistakes PanelDot and PackPanels
// refuse.
func TestPanelDotPanics(t *testing.T) {
	x := testRow(1, 64)
	var ar ActRows
	QuantizeRows(&ar, kernels.Q8_0, x, 1, 64)
	rb, _ := kernels.Q8_0.RowBytes(64)
	p := PackPanels(kernels.Q8_0, make([]byte, 20*rb), rb, 20)
	for name, f := range map[string]func(){
		"pack type":  func() { PackPanels(kernels.Q6_K, make([]byte, 210), 210, 1) },
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

// TestQuantQ8KRecords checks the records QuantizeRows writes for Q4_K
// weights (assembly where the CPU has it, Go for the blocks it leaves)
// against QuantizeAct's Q8_K levels and scale, bit for bit, and the sums
// of 32 levels, on blocks of zeros, with +a and -a both at the largest
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
	var ar ActRows
	QuantizeRows(&ar, kernels.Q4_K, x, 1, k)
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
			s := int32(binary.LittleEndian.Uint32(rec[36:]))
			if want := a.bsums[2*c] + a.bsums[2*c+1]; math.Float32bits(d) != math.Float32bits(a.d[0]) || s != want {
				t.Errorf("block %d record %d: d %g sum %d, want %g %d", b, c, d, s, a.d[0], want)
			}
		}
	}
}
