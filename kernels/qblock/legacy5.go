package qblock

import (
	"encoding/binary"

	"github.com/distill-dev/distill/kernels"
)

// The GGML 32-element 5-bit formats Q5_0 and Q5_1, ported from llama.cpp's
// ggml-quants.c (quantize_row_q5_{0,1}_ref, dequantize_row_q5_{0,1}).
// Element j (0..15) has its low 4 bits in the low nibble of qs[j] and its
// 5th bit at bit j of the little-endian uint32 qh; element j+16 the high
// nibble and bit j+16.

func init() {
	formats[kernels.Q5_0] = format{blockBytes: 22, decode: decodeQ5_0, encode: encodeQ5_0, dot: dotQ5_0}
	formats[kernels.Q5_1] = format{blockBytes: 24, decode: decodeQ5_1, encode: encodeQ5_1, dot: dotQ5_1}
}

// encodeQ5_0 is quantize_row_q5_0_ref for one block: d = max/-16 where max
// is the element of largest magnitude, q = min(31, trunc(x/d + 16.5)).
// Block: d f16 [0:2] | qh [2:6] | qs [6:22].
func encodeQ5_0(b []byte, x []float32) {
	max, _ := signedAbsMax(x[:32])
	d := max / -16
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putF16(b[0:], d)
	var q [32]uint8
	for j, v := range x[:32] {
		q[j] = min(31, truncU8(float32(v*id)+16.5))
	}
	pack5(b[2:6], b[6:22], &q)
}

// encodeQ5_1 is quantize_row_q5_1_ref for one block: d = (max-min)/31,
// m = min, q = trunc((x-min)/d + 0.5). Block: d f16 [0:2] | m f16 [2:4] |
// qh [4:8] | qs [8:24].
func encodeQ5_1(b []byte, x []float32) {
	mn, mx := minMax(x[:32])
	d := (mx - mn) / 31
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putF16(b[0:], d)
	putF16(b[2:], mn)
	var q [32]uint8
	for j, v := range x[:32] {
		q[j] = truncU8(float32((v-mn)*id) + 0.5)
	}
	pack5(b[4:8], b[8:24], &q)
}

// pack5 stores the 32 levels q (0..31) of a Q5_0/Q5_1 block.
func pack5(qh, qs []byte, q *[32]uint8) {
	var h uint32
	for j := range 16 {
		x0, x1 := q[j], q[j+16]
		qs[j] = x0&15 | (x1&15)<<4
		h |= uint32(x0>>4&1)<<j | uint32(x1>>4&1)<<(j+16)
	}
	binary.LittleEndian.PutUint32(qh, h)
}

// unpack5 writes the 32 levels (0..31) of a Q5_0/Q5_1 block.
func unpack5(q *[32]uint8, qh, qs []byte) {
	h := binary.LittleEndian.Uint32(qh)
	for j := range 16 {
		v := qs[j]
		q[j] = v&15 | uint8(h>>j&1)<<4
		q[j+16] = v>>4 | uint8(h>>(j+16)&1)<<4
	}
}

// decodeQ5_0 is dequantize_row_q5_0: y = (q-16)*d.
func decodeQ5_0(y []float32, b []byte) {
	var q [32]uint8
	unpack5(&q, b[2:6], b[6:22])
	for i := range q {
		q[i] -= 16 // the signed level q-16, as int8
	}
	int8s(y[:32], q[:], f16(b))
}

// decodeQ5_1 is dequantize_row_q5_1: y = q*d + m.
func decodeQ5_1(y []float32, b []byte) {
	var q [32]uint8
	unpack5(&q, b[4:8], b[8:24])
	levels(y[:32], q[:], f16(b), f16(b[2:]))
}

// dotQ5_0 is d * sum (q-16)*x.
func dotQ5_0(x []float32, b []byte) float32 {
	var q [32]uint8
	unpack5(&q, b[2:6], b[6:22])
	xq, xs := dotLevels(x[:32], q[:])
	return f16(b) * (xq - 16*xs)
}

// dotQ5_1 is d * sum q*x + m * sum x.
func dotQ5_1(x []float32, b []byte) float32 {
	var q [32]uint8
	unpack5(&q, b[4:8], b[8:24])
	xq, xs := dotLevels(x[:32], q[:])
	return f16(b)*xq + f16(b[2:])*xs
}
