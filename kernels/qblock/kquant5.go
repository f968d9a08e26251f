package qblock

import "github.com/distill-dev/distill/kernels"

// Q5_K (256 elements, 176 bytes), ported from llama.cpp's ggml-quants.c
// (quantize_row_q5_K_ref, quantize_row_q5_K_impl, dequantize_row_q5_K):
// d f16 [0:2], dmin f16 [2:4], scales [4:16] packed as Q4_K's, qh [16:48],
// qs [48:176]. Element 64i + l (i 0..3, l 0..31) has its low 4 bits in the
// low nibble of qs[32i + l] and its 5th bit at bit 2i of qh[l]; element
// 64i + 32 + l has them in the high nibble and at bit 2i+1.

func init() {
	formats[kernels.Q5_K] = format{blockBytes: 176, decode: decodeQ5K, encode: encodeQ5K, encodeWeighted: encodeQ5KWeighted, dot: dotQ5K}
}

// encodeQ5K is quantize_row_q5_K_ref for one super-block.
func encodeQ5K(b []byte, x []float32) { encodeK4(b, x, nil, 31) }

// encodeQ5KWeighted is quantize_row_q5_K_impl with quant_weights qw.
func encodeQ5KWeighted(b []byte, x, qw []float32) { encodeK4(b, x, qw, 31) }

// packQ5K stores the 5-bit levels L into qh (b[0:32]) and qs (b[32:160]).
func packQ5K(b []byte, L *[qkK]uint8) {
	qh, qs := b[0:32], b[32:160]
	clear(qh)
	for i := range 4 {
		for l := range 32 {
			l1, l2 := L[64*i+l], L[64*i+32+l]
			qh[l] |= (l1>>4)<<(2*i) | (l2>>4)<<(2*i+1)
			qs[32*i+l] = l1&15 | (l2&15)<<4
		}
	}
}

// unpackQ5K writes the 256 levels (0..31) of a Q5_K block in element order.
func unpackQ5K(q *[qkK]uint8, b []byte) {
	qh, qs := b[16:48], b[48:176]
	for i := range 4 {
		for l := range 32 {
			v, h := qs[32*i+l], qh[l]>>(2*i)
			q[64*i+l] = v&15 | (h&1)<<4
			q[64*i+32+l] = v>>4 | (h&2)<<3
		}
	}
}

// decodeQ5K is dequantize_row_q5_K for one super-block:
// y = d*sc_j * q - dmin*m_j for sub-block j.
func decodeQ5K(y []float32, b []byte) {
	y = y[:qkK]
	var q [qkK]uint8
	unpackQ5K(&q, b)
	d, dmin := f16(b), f16(b[2:])
	for j := range 8 {
		sc, m := scaleMinK4(j, b[4:16])
		levels(y[32*j:32*j+32], q[32*j:32*j+32], d*float32(sc), -(dmin * float32(m)))
	}
}

// dotQ5K is sum_j d*sc_j*(sum_l q_l x_l) - dmin*m_j*(sum_l x_l).
func dotQ5K(x []float32, b []byte) float32 {
	x = x[:qkK]
	var q [qkK]uint8
	unpackQ5K(&q, b)
	d, dmin := f16(b), f16(b[2:])
	var sq, sm float32
	for j := range 8 {
		sc, m := scaleMinK4(j, b[4:16])
		xq, xs := dotLevels(x[32*j:32*j+32], q[32*j:32*j+32])
		sq += float32(sc) * xq
		sm += float32(m) * xs
	}
	return d*sq - dmin*sm
}
