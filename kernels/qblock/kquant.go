package qblock

import (
	"github.com/distill-dev/distill/kernels"
)

// Q4_K and Q6_K (QK_K = 256), ported from llama.cpp's ggml-quants.c:
// quantize_row_q4_K_ref / quantize_row_q4_K_impl / dequantize_row_q4_K and
// quantize_row_q6_K_ref / quantize_row_q6_K_impl / dequantize_row_q6_K.
// Q5_K shares Q4_K's scales (kquant5.go); Q2_K and Q3_K are in kquant23.go.

const qkK = 256

func init() {
	formats[kernels.Q4_K] = format{blockBytes: 144, decode: decodeQ4K, encode: encodeQ4K, encodeWeighted: encodeQ4KWeighted, dot: dotQ4K}
	formats[kernels.Q6_K] = format{blockBytes: 210, decode: decodeQ6K, encode: encodeQ6K, encodeWeighted: encodeQ6KWeighted, dot: dotQ6K}
}

// Q4_K block (144 bytes): d f16 [0:2], dmin f16 [2:4], scales [4:16] (eight
// 6-bit scales and eight 6-bit mins, see scaleMinK4), qs [16:144].

// scaleMinK4 is get_scale_min_k4: the 6-bit scale and min of sub-block j
// (0..7) from the 12 packed bytes q.
func scaleMinK4(j int, q []byte) (sc, m uint8) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0xF | (q[j-4]>>6)<<4, q[j+4]>>4 | (q[j]>>6)<<4
}

// packScaleMinK4 is the inverse of scaleMinK4 for all eight sub-blocks.
func packScaleMinK4(q []byte, ls, lm *[8]uint8) {
	q = q[:12]
	clear(q)
	for j := range 8 {
		if j < 4 {
			q[j] = ls[j]
			q[j+4] = lm[j]
		} else {
			q[j+4] = ls[j]&0xF | (lm[j]&0xF)<<4
			q[j-4] |= (ls[j] >> 4) << 6
			q[j] |= (lm[j] >> 4) << 6
		}
	}
}

// encodeQ4K is quantize_row_q4_K_ref for one super-block.
func encodeQ4K(b []byte, x []float32) { encodeK4(b, x, nil, 15) }

// encodeQ4KWeighted is quantize_row_q4_K_impl with quant_weights qw for one
// super-block.
func encodeQ4KWeighted(b []byte, x, qw []float32) { encodeK4(b, x, qw, 15) }

// encodeK4 encodes one Q4_K (nmax 15) or Q5_K (nmax 31) super-block with
// quantize_row_q{4,5}_K_ref, or _impl when qw is not nil.
func encodeK4(b []byte, x, qw []float32, nmax int) {
	var L [qkK]uint8
	switch {
	case qw != nil:
		fitK4Weighted(b[:16], x, qw, &L, nmax)
	case nmax == 15:
		fitK4(b[:16], x, &L, 15, -1, 0.1, 20)
	default:
		fitK4(b[:16], x, &L, 31, -0.5, 0.1, 15)
	}
	requantK4(b[:16], x, &L, nmax)
	if nmax == 15 {
		packQ4K(b[16:144], &L)
	} else {
		packQ5K(b[16:176], &L)
	}
}

// sumSquares is sum x^2 in order, each square rounded (no FMA).
func sumSquares(x []float32) float32 {
	var s float32
	for _, v := range x {
		s += float32(v * v)
	}
	return s
}

// imatrixWeights sets w[l] = qw[l] * sqrt(sigma2 + x[l]^2), the k-quant
// _impl encoders' per-element weights, and returns their sum.
func imatrixWeights(w, qw, x []float32, sigma2 float32) float32 {
	var sum float32
	for l, v := range x {
		w[l] = float32(qw[l] * sqrtf(sigma2+float32(v*v)))
	}
	for _, v := range w[:len(x)] {
		sum += v
	}
	return sum
}

// fitK4 is the scale search of quantize_row_q4_K_ref (nmax 15) and
// quantize_row_q5_K_ref (nmax 31): per sub-block of 32 a weighted
// asymmetric fit (make_qkx2_quants, weights av|x| + |x_l|), then the eight
// scales and mins quantized to 6 bits against the largest of each. It
// stores d, dmin and the packed scales in hdr[0:16] and the search's levels
// in L.
func fitK4(hdr []byte, x []float32, L *[qkK]uint8, nmax int, rmin, rdelta float32, nstep int) {
	x = x[:qkK]
	var Laux [32]uint8
	var weights [32]float32
	var mins, scales [8]float32
	var maxScale, maxMin float32
	for j := range 8 {
		xs := x[32*j : 32*j+32]
		avX := sqrtf(sumSquares(xs) / 32)
		for l, v := range xs {
			weights[l] = avX + abs32(v)
		}
		scales[j], mins[j] = makeQKXQuants(nmax, xs, weights[:], L[32*j:32*j+32], Laux[:], rmin, rdelta, nstep, false, false)
		if scales[j] > maxScale {
			maxScale = scales[j]
		}
		if mins[j] > maxMin {
			maxMin = mins[j]
		}
	}
	var invScale, invMin float32
	if maxScale > 0 {
		invScale = 63 / maxScale
	}
	if maxMin > 0 {
		invMin = 63 / maxMin
	}
	var ls, lm [8]uint8
	for j := range 8 {
		ls[j] = min(63, uint8(nearestInt(float32(invScale*scales[j]))))
		lm[j] = min(63, uint8(nearestInt(float32(invMin*mins[j]))))
	}
	packScaleMinK4(hdr[4:16], &ls, &lm)
	putF16(hdr[0:], maxScale/63)
	putF16(hdr[2:], maxMin/63)
}

// fitK4Weighted is the scale search of quantize_row_q{4,5}_K_impl with
// quant_weights qw (make_qkx3_quants per sub-block, make_qp_quants for the
// 6-bit scales and mins).
func fitK4Weighted(hdr []byte, x, qw []float32, L *[qkK]uint8, nmax int) {
	x, qw = x[:qkK], qw[:qkK]
	var Laux [32]uint8
	var weights, sw, mins, scales [32]float32
	sigma2 := float32(2*sumSquares(x)) / qkK
	for j := range 8 {
		xs := x[32*j : 32*j+32]
		sw[j] = imatrixWeights(weights[:], qw[32*j:32*j+32], xs, sigma2)
		scales[j], mins[j] = makeQKXQuants(nmax, xs, weights[:], L[32*j:32*j+32], Laux[:], -0.9, 0.05, 36, true, false)
	}
	var ls, lm [8]uint8
	dBlock := makeQPQuants(63, scales[:8], ls[:], sw[:8])
	mBlock := makeQPQuants(63, mins[:8], lm[:], sw[:8])
	packScaleMinK4(hdr[4:16], &ls, &lm)
	putF16(hdr[0:], dBlock)
	putF16(hdr[2:], mBlock)
}

// requantK4 recomputes the levels (0..nmax) of x against the stored
// (fp16-rounded) d, dmin and 6-bit scales/mins in hdr[0:16]. Sub-blocks
// whose scale is zero keep the L from the search, as in the C code.
func requantK4(hdr []byte, x []float32, L *[qkK]uint8, nmax int) {
	d, dmin := f16(hdr), f16(hdr[2:])
	for j := range 8 {
		sc, m := scaleMinK4(j, hdr[4:16])
		dj := d * float32(sc)
		if dj == 0 {
			continue
		}
		dm := dmin * float32(m)
		for ii, v := range x[32*j : 32*j+32] {
			L[32*j+ii] = uint8(clampU(nearestInt((v+dm)/dj), nmax))
		}
	}
}

// packQ4K stores the 4-bit levels: sub-block pair (2i, 2i+1) shares
// q[32i:32i+32], 2i in the low nibbles, 2i+1 in the high ones.
func packQ4K(q []byte, L *[qkK]uint8) {
	q = q[:128]
	for j := 0; j < qkK; j += 64 {
		for l := range 32 {
			q[j/2+l] = L[j+l] | L[j+l+32]<<4
		}
	}
}

// decodeQ4K is dequantize_row_q4_K for one super-block:
// y = d*sc_j * q - dmin*m_j for sub-block j.
func decodeQ4K(y []float32, b []byte) {
	y = y[:qkK]
	d, dmin := f16(b), f16(b[2:])
	sc := b[4:16]
	qs := b[16:144]
	for i := range 4 {
		s1, m1 := scaleMinK4(2*i, sc)
		s2, m2 := scaleMinK4(2*i+1, sc)
		c := [4]float32{d * float32(s1), -(dmin * float32(m1)), d * float32(s2), -(dmin * float32(m2))}
		nibbles(y[64*i:64*i+64], qs[32*i:32*i+32], c, 0)
	}
}

// dotQ4K is sum_j d*sc_j*(sum_l q_l x_l) - dmin*m_j*(sum_l x_l).
func dotQ4K(x []float32, b []byte) float32 {
	x = x[:qkK]
	d, dmin := f16(b), f16(b[2:])
	sc := b[4:16]
	qs := b[16:144]
	var sum float32
	for i := range 4 {
		s := dotNibbles(x[64*i:64*i+64], qs[32*i:32*i+32])
		s1, m1 := scaleMinK4(2*i, sc)
		s2, m2 := scaleMinK4(2*i+1, sc)
		sum += d*(float32(s1)*s[0]+float32(s2)*s[2]) - dmin*(float32(m1)*s[1]+float32(m2)*s[3])
	}
	return sum
}

// Q6_K block (210 bytes): ql [0:128] (low 4 bits), qh [128:192] (high 2
// bits), scales [192:208] (16 int8 sub-block scales), d f16 [208:210].
// Element 128*h + 32*k + l (h in 0..1, k in 0..3, l in 0..31) has its low
// bits in ql[64h + l + 32*(k&1)] (low nibble for k < 2, high for k >= 2),
// its high bits in qh[32h + l] >> 2k, and scale scales[8h + 2k + l/16].

// encodeQ6K is quantize_row_q6_K_ref for one super-block.
func encodeQ6K(b []byte, x []float32) { encodeQ6KImpl(b, x, nil) }

// encodeQ6KWeighted is quantize_row_q6_K_impl with quant_weights qw (used as
// the make_qx_quants weights directly, as llama.cpp does).
func encodeQ6KWeighted(b []byte, x, qw []float32) { encodeQ6KImpl(b, x, qw) }

func encodeQ6KImpl(b []byte, x, qw []float32) {
	x = x[:qkK]
	b = b[:210]
	var L [qkK]int8
	var scales [16]float32
	var maxScale, maxAbsScale float32
	for ib := range 16 {
		var w []float32
		if qw != nil {
			w = qw[16*ib : 16*ib+16]
		}
		scale := makeQXQuants(32, x[16*ib:16*ib+16], L[16*ib:16*ib+16], w)
		scales[ib] = scale
		if a := abs32(scale); a > maxAbsScale {
			maxAbsScale, maxScale = a, scale
		}
	}
	if maxAbsScale < groupMaxEps {
		clear(b)
		return
	}
	iscale := -128 / maxScale
	putF16(b[208:], 1/iscale)
	sc := b[192:208]
	for ib := range 16 {
		sc[ib] = byte(int8(min32(127, nearestInt(float32(iscale*scales[ib])))))
	}
	d := f16(b[208:])
	for j := range 16 {
		dj := d * float32(int8(sc[j]))
		if dj == 0 {
			continue
		}
		for ii, v := range x[16*j : 16*j+16] {
			l := max32(-32, min32(31, nearestInt(v/dj)))
			L[16*j+ii] = int8(l + 32)
		}
	}
	var q [qkK]uint8
	for i, l := range L {
		q[i] = uint8(l)
	}
	packQ6K(b, &q)
}

// packQ6K stores the 6-bit levels L (0..63) into ql (b[0:128]) and qh
// (b[128:192]) in the layout described above.
func packQ6K(b []byte, L *[qkK]uint8) {
	ql, qh := b[0:128], b[128:192]
	for j := 0; j < qkK; j += 128 {
		for l := range 32 {
			q1 := L[j+l] & 0xF
			q2 := L[j+l+32] & 0xF
			q3 := L[j+l+64] & 0xF
			q4 := L[j+l+96] & 0xF
			ql[j/2+l] = q1 | q3<<4
			ql[j/2+l+32] = q2 | q4<<4
			qh[j/4+l] = L[j+l]>>4 | (L[j+l+32]>>4)<<2 | (L[j+l+64]>>4)<<4 | (L[j+l+96]>>4)<<6
		}
	}
}

// decodeQ6K is dequantize_row_q6_K for one super-block: y = (d*sc_j)*(q-32).
// The 6-bit values are unpacked to int8 first, then converted and scaled
// 16 at a time (vectorised where available).
func decodeQ6K(y []float32, b []byte) {
	y = y[:qkK]
	b = b[:210]
	var q [qkK]byte
	unpackQ6K(&q, b)
	d := f16(b[208:])
	var s [16]float32
	for j := range s {
		s[j] = d * float32(int8(b[192+j]))
	}
	int8sBy16(y, q[:], s[:])
}

// unpackQ6K writes the 256 values q-32 of a Q6_K block as int8, in element
// order (layout in the Q6_K comment above).
func unpackQ6K(q *[qkK]byte, b []byte) {
	for h := range 2 {
		ql := (*[64]byte)(b[64*h:])
		qh := (*[32]byte)(b[128+32*h:])
		qq := (*[128]byte)(q[128*h:])
		for l := range 32 {
			lo, hi, qhl := ql[l], ql[l+32], qh[l]
			qq[l] = (lo&0xF | (qhl&3)<<4) - 32
			qq[l+32] = (hi&0xF | (qhl>>2&3)<<4) - 32
			qq[l+64] = (lo>>4 | (qhl>>4&3)<<4) - 32
			qq[l+96] = (hi>>4 | (qhl>>6)<<4) - 32
		}
	}
}

// dotQ6K is sum over the 16 sub-blocks of d*sc_j*(sum_l (q_l-32) x_l).
func dotQ6K(x []float32, b []byte) float32 {
	x = x[:qkK]
	b = b[:210]
	var q [qkK]byte
	unpackQ6K(&q, b)
	var s [16]float32
	for j := range s {
		s[j] = float32(int8(b[192+j]))
	}
	return f16(b[208:]) * dotInt8By16(x, q[:], s[:])
}
