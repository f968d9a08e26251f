package qblock

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/distill-dev/distill/kernels"
)

var gridTypes = []kernels.DType{kernels.Q8_0, kernels.Q4_0, kernels.Q4_1, kernels.Q5_0, kernels.Q5_1, kernels.Q4_K, kernels.Q5_K, kernels.Q6_K,
	kernels.I4S_G32, kernels.I4S_G64, kernels.I4S_G128, kernels.I4A_G32, kernels.I4A_G64, kernels.I4A_G128}

// TestGridIsDecodeRow: for every type with a Grid, Value is DecodeRow bit
// for bit, Quantize finds each decoded value's own level again, Encode of
// those levels gives back a block that decodes identically, and on
// arbitrary values Quantize is the nearest level (checked against a search
// over all levels).
func TestGridIsDecodeRow(t *testing.T) {
	x := testRow(80, 256*7)
	r := rand.New(rand.NewPCG(4, 5))
	for _, dt := range gridTypes {
		enc := encode(dt, x)
		dec := decode(dt, enc, len(x))
		bs, bb := dt.BlockSize(), formats[dt].blockBytes
		got := make([]byte, len(enc))
		for i := 0; i < len(x); i += bs {
			blk := enc[i/bs*bb : (i/bs+1)*bb]
			g := ReadGrid(dt, blk)
			if ng := NewGrid(dt, x[i:i+bs], nil); ng != g {
				t.Fatalf("%s: NewGrid is not the grid of EncodeRow's block", dt)
			}
			q := make([]uint8, bs)
			for j := range q {
				q[j] = g.Quantize(j, dec[i+j])
				if v := g.Value(j, q[j]); math.Float32bits(v) != math.Float32bits(dec[i+j]) && v != dec[i+j] {
					t.Fatalf("%s: element %d: Value(Quantize(%v)) = %v", dt, i+j, dec[i+j], v)
				}
				// Nearest level of an arbitrary value near the block's range.
				v := dec[i+j] + float32(r.NormFloat64())*abs32(g.a[j/g.sub])
				l := g.Quantize(j, v)
				for c := 0; c < g.Levels(); c++ {
					if e := abs32(v - g.Value(j, uint8(c))); e < abs32(v-g.Value(j, l)) {
						t.Fatalf("%s: Quantize(%d, %v) = %d, level %d is nearer", dt, j, v, l, c)
					}
				}
			}
			g.Encode(got[i/bs*bb:(i/bs+1)*bb], q)
		}
		if re := decode(dt, got, len(x)); !equalBits(re, dec) {
			t.Errorf("%s: Encode of the decoded levels does not decode to the same row", dt)
		}
		if isI4S(dt) || isI4A(dt) {
			// The int4 encoders round to the nearest level: Encode is EncodeRow.
			if !bytes.Equal(got, enc) {
				t.Errorf("%s: Encode differs from EncodeRow", dt)
			}
		}
	}
	for _, f := range []func(){
		func() { NewGrid(kernels.Q3_K, x[:256], nil) },
		func() { NewGrid(kernels.Q4_0, x[:31], nil) },
		func() { ReadGrid(kernels.Q4_K, make([]byte, 143)) },
		func() { g := NewGrid(kernels.Q4_0, x[:32], nil); g.Encode(make([]byte, 18), make([]uint8, 31)) },
	} {
		mustPanic(t, "a misuse of the Grid API", f)
	}
}

// equalBits compares float32 slices treating +0 and -0 as equal.
func equalBits(a, b []float32) bool {
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(float64(a[i])) && math.IsNaN(float64(b[i]))) {
			return false
		}
	}
	return len(a) == len(b)
}

// TestGridWeighted: with importance weights NewGrid is the grid of
// EncodeRowWeighted's block.
func TestGridWeighted(t *testing.T) {
	x := testRow(81, 256)
	w := make([]float32, len(x))
	for i := range w {
		w[i] = float32(i%7 + 1)
	}
	for _, dt := range []kernels.DType{kernels.Q4_K, kernels.Q5_K, kernels.Q6_K, kernels.Q4_0, kernels.Q5_1} {
		bs := dt.BlockSize()
		b := make([]byte, formats[dt].blockBytes)
		EncodeRowWeighted(dt, b, x[:bs], w[:bs])
		if NewGrid(dt, x[:bs], w[:bs]) != ReadGrid(dt, b) {
			t.Errorf("%s: weighted NewGrid is not EncodeRowWeighted's grid", dt)
		}
	}
}
