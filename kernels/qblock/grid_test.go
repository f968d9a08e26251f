package qblock

import (
	"bytes"
	"math"
	"testing"

	"github.com/distill-dev/distill/kernels"
)

// TestGrid: NewGrid + Quantize + EncodeGroup is EncodeRow, and Value is
// DecodeRow, for every int4 group format.
func TestGrid(t *testing.T) {
	x := testRow(80, 256*7)
	for _, dt := range []kernels.DType{kernels.I4S_G32, kernels.I4S_G64, kernels.I4S_G128, kernels.I4A_G32, kernels.I4A_G64, kernels.I4A_G128} {
		want := encode(dt, x)
		dec := decode(dt, want, len(x))
		g := dt.BlockSize()
		bb := formats[dt].blockBytes
		got := make([]byte, len(want))
		for i := 0; i < len(x); i += g {
			grid := NewGrid(dt, x[i:i+g])
			if grid != grid.Rounded() {
				t.Fatalf("%s: NewGrid %+v is not f16-exact", dt, grid)
			}
			q := make([]uint8, g)
			for j := range q {
				q[j] = grid.Quantize(x[i+j])
				if v := grid.Value(q[j]); math.Float32bits(v) != math.Float32bits(dec[i+j]) {
					t.Fatalf("%s: Value(%d) = %v, DecodeRow gives %v", dt, q[j], v, dec[i+j])
				}
			}
			EncodeGroup(dt, got[i/g*bb:(i/g+1)*bb], grid, q)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: EncodeGroup differs from EncodeRow", dt)
		}
	}
	for _, f := range []func(){
		func() { NewGrid(kernels.Q4_0, x[:32]) },
		func() { EncodeGroup(kernels.Q4_K, make([]byte, 144), Grid{}, make([]uint8, 256)) },
		func() { EncodeGroup(kernels.I4S_G32, make([]byte, 18), Grid{}, make([]uint8, 31)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("misuse of the Grid API did not panic")
				}
			}()
			f()
		}()
	}
}
