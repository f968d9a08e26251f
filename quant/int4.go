package quant

import (
	"encoding/binary"
	"math"

	"github.com/distill-dev/distill/kernels/half"
)

// symGroup is the scale of one I4S group, computed exactly as
// kernels/qblock's encoder does (s = f16(m/-8), m the element of largest
// magnitude), so that GPTQ's output decodes to the values it optimised.
type symGroup struct{ s float32 }

func newSymGroup(x []float64) symGroup {
	var amax, mx float32
	for _, v := range x {
		f := float32(v)
		if a := abs32(f); amax < a {
			amax, mx = a, f
		}
	}
	return symGroup{s: half.WidenF16(half.RoundF16(mx / -8))}
}

// level returns the stored level q in 0..15 of x (value (q-8)*s).
func (g symGroup) level(x float64) uint8 {
	if g.s == 0 {
		return 8
	}
	q := int(math.RoundToEven(float64(float32(x)/g.s))) + 8
	return uint8(max(0, min(15, q)))
}

func (g symGroup) value(q uint8) float64 { return float64(float32(int(q)-8) * g.s) }

// packSymRow writes one I4S row: for each group of size gs its f16 scale
// then the nibbles, element j of the group in the low nibble of byte j and
// element j+gs/2 in the high nibble of byte j.
func packSymRow(dst []byte, scales []symGroup, levels []uint8, gs int) {
	bb := 2 + gs/2
	for g, sc := range scales {
		b := dst[g*bb : (g+1)*bb]
		binary.LittleEndian.PutUint16(b, half.RoundF16(sc.s))
		q := levels[g*gs : (g+1)*gs]
		for j := 0; j < gs/2; j++ {
			b[2+j] = q[j] | q[j+gs/2]<<4
		}
	}
}

func abs32(f float32) float32 { return math.Float32frombits(math.Float32bits(f) &^ (1 << 31)) }
