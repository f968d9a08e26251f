package qblock

import (
	"encoding/binary"
	"math"

	"github.com/distill-dev/distill/kernels"
)

// The GGML 32-element formats Q8_0, Q4_0 and Q4_1, ported from llama.cpp's
// ggml-quants.c (quantize_row_*_ref, dequantize_row_*). Products that feed a
// sum are wrapped in float32() so that the compiler may not fuse them into an
// FMA, which would change the rounding.

func init() {
	formats[kernels.Q8_0] = format{blockBytes: 34, decode: decodeQ8_0, encode: encodeQ8_0, dot: dotQ8_0}
	formats[kernels.Q4_0] = format{blockBytes: 18, decode: decodeSym4, encode: encodeQ4_0, dot: dotSym4}
	formats[kernels.Q4_1] = format{blockBytes: 20, decode: decodeAsym4, encode: encodeQ4_1, dot: dotAsym4}
}

// encodeQ8_0 is quantize_row_q8_0_ref for one block: d = amax/127,
// q = roundf(x/d) (half away from zero).
func encodeQ8_0(b []byte, x []float32) { putF16(b, quantInt8(b[2:34], x)) }

// quantInt8 sets q[j] = roundf(x[j]/d) with d = max|x|/127 (computed as
// x[j]*(1/d), as llama.cpp does) and returns d.
func quantInt8(q []byte, x []float32) float32 {
	var amax float32
	for _, v := range x {
		amax = cmax(amax, abs32(v))
	}
	d := amax / 127
	var id float32
	if d != 0 {
		id = 1 / d
	}
	q = q[:len(x)]
	for j, v := range x {
		q[j] = byte(int8(roundf(v * id)))
	}
	return d
}

func decodeQ8_0(y []float32, b []byte) { int8s(y, b[2:34], f16(b)) }

func dotQ8_0(x []float32, b []byte) float32 { return dotInt8(x, b[2:34]) * f16(b) }

// encodeQ4_0 is quantize_row_q4_0_ref for one block: d = max/-8 where max is
// the element of largest magnitude, q = min(15, trunc(x/d + 8.5)).
func encodeQ4_0(b []byte, x []float32) {
	max, _ := signedAbsMax(x[:32])
	d := max / -8
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putF16(b[0:], d)
	packNibbles(b[2:18], x, func(v float32) uint8 { return min(15, truncU8(float32(v*id)+8.5)) })
}

// dotSym4 is the dot product with a "d f16 | nibbles" block (Q4_0, I4S_G*):
// d * sum (q-8)*x.
func dotSym4(x []float32, b []byte) float32 {
	s := dotNibbles(x, b[2:])
	return f16(b) * ((s[0] - 8*s[1]) + (s[2] - 8*s[3]))
}

// encodeQ4_1 is quantize_row_q4_1_ref for one block: d = (max-min)/15,
// m = min, q = min(15, trunc((x-min)/d + 0.5)).
func encodeQ4_1(b []byte, x []float32) {
	mn, mx := minMax(x[:32])
	d := (mx - mn) / 15
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putF16(b[0:], d)
	putF16(b[2:], mn)
	packNibbles(b[4:20], x, func(v float32) uint8 { return min(15, truncU8(float32((v-mn)*id)+0.5)) })
}

// signedAbsMax returns the first element of largest magnitude (signed) and
// its magnitude, as the reference quantizers' "if (amax < fabsf(v))" loops.
func signedAbsMax(x []float32) (max, amax float32) {
	for _, v := range x {
		if a := abs32(v); amax < a {
			amax, max = a, v
		}
	}
	return max, amax
}

// minMax returns the smallest and largest element, starting from
// (FLT_MAX, -FLT_MAX) as quantize_row_q{4,5}_1_ref do.
func minMax(x []float32) (mn, mx float32) {
	mn, mx = float32(math.MaxFloat32), float32(-math.MaxFloat32)
	for _, v := range x {
		if v < mn {
			mn = v
		}
		if v > mx {
			mx = v
		}
	}
	return mn, mx
}

// decodeSym4 decodes a block "d f16 | nibbles" as (q-8)*d (Q4_0, I4S_G*).
func decodeSym4(y []float32, b []byte) {
	d := f16(b)
	nibbles(y, b[2:], [4]float32{d, negZero, d, negZero}, -8)
}

// decodeAsym4 decodes a block "d f16 | m f16 | nibbles" as q*d + m (Q4_1,
// I4A_G*).
func decodeAsym4(y []float32, b []byte) {
	d, m := f16(b), f16(b[2:])
	nibbles(y, b[4:], [4]float32{d, m, d, m}, 0)
}

// dotAsym4 is the dot product with a "d f16 | m f16 | nibbles" block (Q4_1,
// I4A_G*): d * sum q*x + m * sum x.
func dotAsym4(x []float32, b []byte) float32 {
	s := dotNibbles(x, b[4:])
	return f16(b)*(s[0]+s[2]) + f16(b[2:])*(s[1]+s[3])
}

// packNibbles stores quant(x[j]) in the low nibble and quant(x[j+n]) in the
// high nibble of q[j], n = len(q) (GGML's order for 32-element blocks).
func packNibbles(q []byte, x []float32, quant func(float32) uint8) {
	n := len(q)
	x = x[:2*n]
	for j := range q {
		q[j] = quant(x[j]) | quant(x[j+n])<<4
	}
}

// unpackNibbles is the inverse layout of packNibbles with the values looked
// up in per-nibble tables (lo for the first half, hi for the second): the
// table entries are computed once per block with exactly the reference's
// float operations, so the result is bit-identical and each element costs a
// load and a store.
func unpackNibbles(y []float32, q []byte, lo, hi *[16]float32) {
	n := len(q) // a multiple of 8
	y0 := y[:n:n]
	y1 := y[n : 2*n : 2*n]
	for j := 0; j+8 <= n && j+8 <= len(y0) && j+8 <= len(y1); j += 8 {
		v := binary.LittleEndian.Uint64(q[j:])
		a, b := y0[j:j+8:j+8], y1[j:j+8:j+8]
		a[0], b[0] = lo[v&15], hi[v>>4&15]
		a[1], b[1] = lo[v>>8&15], hi[v>>12&15]
		a[2], b[2] = lo[v>>16&15], hi[v>>20&15]
		a[3], b[3] = lo[v>>24&15], hi[v>>28&15]
		a[4], b[4] = lo[v>>32&15], hi[v>>36&15]
		a[5], b[5] = lo[v>>40&15], hi[v>>44&15]
		a[6], b[6] = lo[v>>48&15], hi[v>>52&15]
		a[7], b[7] = lo[v>>56&15], hi[v>>60&15]
	}
}

// truncU8 is C's (int8_t)f conversion (truncation toward zero) read as
// uint8, for f in the range the encoders produce ([0, 16.5]); out-of-range
// or NaN inputs give an unspecified small value.
func truncU8(f float32) uint8 {
	if !(f >= 0) { // also NaN
		return 0
	}
	if f >= 127 {
		return 127
	}
	return uint8(f)
}

// roundf is C's roundf: round half away from zero. Exact via float64.
func roundf(f float32) float32 { return float32(math.Round(float64(f))) }

func abs32(f float32) float32 { return math.Float32frombits(math.Float32bits(f) &^ (1 << 31)) }

// cmax is C's MAX(a, b) macro: (a > b ? a : b), including its NaN behaviour.
func cmax(a, b float32) float32 {
	if a > b {
		return a
	}
	return b
}
