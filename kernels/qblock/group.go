package qblock

import (
	"encoding/binary"
	"math"

	"github.com/distill-dev/distill/kernels"
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

// encodeI4S: s = fp16(max / -8), max the element of largest magnitude
// (Q4_0's choice: the extreme maps exactly to level -8), then
// q = clamp(nearest_even(x / s) + 8, 0, 15) against the stored s.
func encodeI4S(b []byte, x []float32) {
	var amax, mx float32
	for _, v := range x {
		if amax < abs32(v) {
			amax, mx = abs32(v), v
		}
	}
	putF16(b, mx/-8)
	s := f16(b)
	packNibbles(b[2:], x, func(v float32) uint8 {
		if s == 0 {
			return 8
		}
		return uint8(clampU(nearestInt(v/s)+8, 15))
	})
}

// encodeI4A: min = fp16(min x), s = fp16((max x - min) / 15), then
// q = clamp(nearest_even((x - min) / s), 0, 15) against the stored s, min.
func encodeI4A(b []byte, x []float32) {
	mn, mx := x[0], x[0]
	for _, v := range x {
		mn = min(mn, v)
		mx = max(mx, v)
	}
	putF16(b[2:], mn)
	m := f16(b[2:])
	putF16(b, (mx-m)/15)
	quantI4A(b, x)
}

func quantI4A(b []byte, x []float32) {
	s, m := f16(b), f16(b[2:])
	packNibbles(b[4:], x, func(v float32) uint8 {
		if s == 0 {
			return 0
		}
		return uint8(clampU(nearestInt((v-m)/s), 15))
	})
}
