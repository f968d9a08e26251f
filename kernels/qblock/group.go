package qblock

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/half"
)

// distill's own weight formats: I8CH (int8 per row) and the int4 group
// formats I4S_G* (symmetric) and I4A_G* (asymmetric). See doc.go.

func init() {
	for dt, g := range map[kernels.DType]int{kernels.I4S_G32: 32, kernels.I4S_G64: 64, kernels.I4S_G128: 128} {
		formats[dt] = format{blockBytes: 2 + g/2, decode: decodeSym4, encode: encodeI4S, dot: dotSym4}
	}
	for dt, g := range map[kernels.DType]int{kernels.I4A_G32: 32, kernels.I4A_G64: 64, kernels.I4A_G128: 128} {
		formats[dt] = format{blockBytes: 4 + g/2, decode: decodeAsym4, encode: encodeI4A, dot: dotAsym4}
	}
}

// encodeI8CH: scale = max|x|/127 (stored as float32), q = roundf(x/scale).
func encodeI8CH(b []byte, x []float32) {
	binary.LittleEndian.PutUint32(b, math.Float32bits(quantInt8(b[4:4+len(x)], x)))
}

func decodeI8CH(y []float32, b []byte) {
	int8s(y, b[4:4+len(y)], math.Float32frombits(binary.LittleEndian.Uint32(b)))
}

func dotI8CH(x []float32, b []byte) float32 {
	return dotInt8(x, b[4:4+len(x)]) * math.Float32frombits(binary.LittleEndian.Uint32(b))
}

// Grid is the 16-level grid of one group of an int4 group format (I4S_G*,
// I4A_G*): level q in 0..15 stands for (q-8)*Scale when Sym, else
// q*Scale + Min. Calibrated quantizers (GPTQ, AWQ) pick or adjust a Grid per
// group, round each weight with Quantize as they go, and store the codes
// with EncodeGroup; EncodeRow does all three with NewGrid's choice.
type Grid struct {
	Scale, Min float32
	Sym        bool
}

// NewGrid returns the grid EncodeRow uses for the group x of an int4 group
// format dt (len(x) need not be the group size): symmetric
// Scale = f16(m/-8) with m the element of largest magnitude; asymmetric
// Min = f16(min x), Scale = f16((max x - Min)/15). It panics for other
// types.
func NewGrid(dt kernels.DType, x []float32) Grid {
	switch {
	case isI4S(dt):
		var amax, mx float32
		for _, v := range x {
			if amax < abs32(v) {
				amax, mx = abs32(v), v
			}
		}
		return Grid{Scale: roundF16(mx / -8), Sym: true}
	case isI4A(dt):
		if len(x) == 0 {
			return Grid{}
		}
		mn, mx := x[0], x[0]
		for _, v := range x {
			mn = min(mn, v)
			mx = max(mx, v)
		}
		m := roundF16(mn)
		return Grid{Scale: roundF16((mx - m) / 15), Min: m}
	}
	panic("qblock: NewGrid: not an int4 group format: " + dt.String())
}

// Rounded returns g with Scale and Min rounded to f16, as EncodeGroup stores
// them; quantize against the rounded grid to get what will be decoded.
func (g Grid) Rounded() Grid {
	g.Scale, g.Min = roundF16(g.Scale), roundF16(g.Min)
	return g
}

// Quantize returns the level nearest to v (ties to even), clamped to 0..15;
// with a zero Scale, the level of value 0 (8) or Min (0).
func (g Grid) Quantize(v float32) uint8 {
	if g.Sym {
		if g.Scale == 0 {
			return 8
		}
		return uint8(clampU(nearestInt(v/g.Scale)+8, 15))
	}
	if g.Scale == 0 {
		return 0
	}
	return uint8(clampU(nearestInt((v-g.Min)/g.Scale), 15))
}

// Value returns the value level q decodes to (bit-identical to DecodeRow).
func (g Grid) Value(q uint8) float32 {
	if g.Sym {
		return float32(int32(q&15)-8) * g.Scale
	}
	return float32(float32(q&15)*g.Scale) + g.Min
}

// EncodeGroup stores one block of the int4 group format dt: the grid's
// Scale (and Min) as f16 and the levels q (len(q) == dt.BlockSize(), each
// 0..15) as nibbles. It panics on a size mismatch or another type.
func EncodeGroup(dt kernels.DType, dst []byte, g Grid, q []uint8) {
	if !isI4S(dt) && !isI4A(dt) {
		panic("qblock: EncodeGroup: not an int4 group format: " + dt.String())
	}
	n := dt.BlockSize()
	if len(q) != n || len(dst) != formats[dt].blockBytes {
		panic(fmt.Sprintf("qblock: EncodeGroup: %s block needs %d levels and %d bytes, got %d and %d", dt, n, formats[dt].blockBytes, len(q), len(dst)))
	}
	putF16(dst, g.Scale)
	qs := dst[2:]
	if isI4A(dt) {
		putF16(dst[2:], g.Min)
		qs = dst[4:]
	}
	for j := range qs {
		qs[j] = q[j]&15 | q[j+n/2]<<4
	}
}

func isI4S(dt kernels.DType) bool {
	return dt == kernels.I4S_G32 || dt == kernels.I4S_G64 || dt == kernels.I4S_G128
}

func isI4A(dt kernels.DType) bool {
	return dt == kernels.I4A_G32 || dt == kernels.I4A_G64 || dt == kernels.I4A_G128
}

// encodeI4S and encodeI4A quantize one group against NewGrid's grid.
func encodeI4S(b []byte, x []float32) { encodeI4(kernels.I4S_G32, b, b[2:], x) }
func encodeI4A(b []byte, x []float32) { encodeI4(kernels.I4A_G32, b, b[4:], x) }

func encodeI4(dt kernels.DType, b, qs []byte, x []float32) {
	g := NewGrid(dt, x)
	putF16(b, g.Scale)
	if !g.Sym {
		putF16(b[2:], g.Min)
	}
	packNibbles(qs, x, g.Quantize)
}

func roundF16(v float32) float32 { return half.WidenF16(half.RoundF16(v)) }
