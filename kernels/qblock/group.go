package qblock

import (
	"encoding/binary"
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

func isI4S(dt kernels.DType) bool {
	return dt == kernels.I4S_G32 || dt == kernels.I4S_G64 || dt == kernels.I4S_G128
}

func isI4A(dt kernels.DType) bool {
	return dt == kernels.I4A_G32 || dt == kernels.I4A_G64 || dt == kernels.I4A_G128
}

// encodeI4S quantizes one group symmetrically: s = f16(m/-8) with m the
// element of largest magnitude (signed), q = clamp(rne(x/s)+8, 0, 15).
func encodeI4S(b []byte, x []float32) {
	m, _ := signedAbsMax(x)
	s := roundF16(m / -8)
	putF16(b, s)
	packNibbles(b[2:], x, func(v float32) uint8 {
		if s == 0 {
			return 8
		}
		return uint8(clampU(nearestInt(v/s)+8, 15))
	})
}

// encodeI4A quantizes one group asymmetrically: m = f16(min x),
// s = f16((max x - m)/15), q = clamp(rne((x-m)/s), 0, 15).
func encodeI4A(b []byte, x []float32) {
	mn, mx := x[0], x[0]
	for _, v := range x {
		mn, mx = min(mn, v), max(mx, v)
	}
	m := roundF16(mn)
	s := roundF16((mx - m) / 15)
	putF16(b, s)
	putF16(b[2:], m)
	packNibbles(b[4:], x, func(v float32) uint8 {
		if s == 0 {
			return 0
		}
		return uint8(clampU(nearestInt((v-m)/s), 15))
	})
}

func roundF16(v float32) float32 { return half.WidenF16(half.RoundF16(v)) }
