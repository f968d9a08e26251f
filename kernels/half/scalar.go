package half

import "math"

// WidenF16 returns the float32 value of the binary16 bit pattern h (exact).
// A NaN keeps its sign and payload and gets the quiet bit set.
func WidenF16(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h & 0x3ff)
	switch exp {
	case 0x1f:
		if frac == 0 {
			return math.Float32frombits(sign | 0x7f800000)
		}
		return math.Float32frombits(sign | 0x7fc00000 | frac<<13)
	case 0:
		// Subnormal (or zero): frac * 2^-24 is exact in float32.
		v := float32(frac) * (1.0 / (1 << 24))
		return math.Float32frombits(sign | math.Float32bits(v))
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}

// RoundF16 rounds f to binary16, to nearest with ties to even, and returns its
// bit pattern. Overflow gives ±Inf; a NaN stays a NaN (sign and top payload
// bits kept, quiet bit set).
func RoundF16(f float32) uint16 {
	const (
		f32Inf = 0xff << 23
		f16Max = (127 + 16) << 23 // 2^16: everything at or above rounds to Inf
		f16Min = (127 - 14) << 23 // 2^-14: smallest normal binary16
		// Adding 2^-1 (exponent 126 = (127-15)+(23-10)+1) puts the binary16
		// subnormal bits at the bottom of the float32 fraction; the float
		// addition then does the round to nearest even for us.
		denormMagic = ((127 - 15) + (23 - 10) + 1) << 23
	)
	u := math.Float32bits(f)
	sign := uint16(u>>16) & 0x8000
	u &^= 0x80000000
	switch {
	case u >= f16Max:
		if u > f32Inf {
			return sign | 0x7e00 | uint16((u&0x7fffff)>>13)
		}
		return sign | 0x7c00
	case u < f16Min:
		v := math.Float32frombits(u) + math.Float32frombits(denormMagic)
		return sign | uint16(math.Float32bits(v)-denormMagic)
	}
	// Normal: rebias the exponent and round at bit 13; a carry out of the
	// fraction correctly bumps the exponent (up to Inf).
	odd := (u >> 13) & 1
	u = u - (127-15)<<23 + 0xfff + odd
	return sign | uint16(u>>13)
}

// WidenBF16 returns the float32 value of the bfloat16 bit pattern b (exact).
func WidenBF16(b uint16) float32 { return math.Float32frombits(uint32(b) << 16) }

// RoundBF16 rounds f to bfloat16, to nearest with ties to even, and returns its
// bit pattern. Subnormals are kept; a NaN stays a NaN with its sign and top
// payload bits and the quiet bit (0x0040) set.
func RoundBF16(f float32) uint16 {
	u := math.Float32bits(f)
	if u&0x7fffffff > 0x7f800000 {
		return uint16(u>>16) | 0x0040
	}
	return uint16((u + 0x7fff + (u>>16)&1) >> 16)
}
