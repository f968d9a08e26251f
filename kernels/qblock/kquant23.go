package qblock

import "github.com/distill-dev/distill/kernels"

// Q2_K and Q3_K (QK_K = 256), ported from llama.cpp's ggml-quants.c:
// quantize_row_q2_K_ref / quantize_row_q2_K_impl / dequantize_row_q2_K and
// quantize_row_q3_K_ref / quantize_row_q3_K_impl / dequantize_row_q3_K.
// Both store 2 bits of each element in qs the same way: element
// 128h + 32k + l (h 0..1, k 0..3, l 0..31) at bits 2k..2k+1 of
// qs[32h + l]. Both have 16 sub-blocks of 16 elements.

func init() {
	formats[kernels.Q2_K] = format{blockBytes: 84, decode: decodeQ2K, encode: encodeQ2K, encodeWeighted: encodeQ2KWeighted, dot: dotQ2K}
	formats[kernels.Q3_K] = format{blockBytes: 110, decode: decodeQ3K, encode: encodeQ3K, encodeWeighted: encodeQ3KWeighted, dot: dotQ3K}
}

// pack2 stores the low 2 bits of the 256 levels L into qs[0:64].
func pack2(qs []byte, L *[qkK]uint8) {
	qs = qs[:64]
	for j := 0; j < qkK; j += 128 {
		for l := range 32 {
			qs[j/4+l] = L[j+l]&3 | (L[j+l+32]&3)<<2 | (L[j+l+64]&3)<<4 | (L[j+l+96]&3)<<6
		}
	}
}

// unpack2 is the inverse of pack2.
func unpack2(q *[qkK]uint8, qs []byte) {
	qs = qs[:64]
	for h := range 2 {
		for l := range 32 {
			v := qs[32*h+l]
			q[128*h+l] = v & 3
			q[128*h+32+l] = v >> 2 & 3
			q[128*h+64+l] = v >> 4 & 3
			q[128*h+96+l] = v >> 6
		}
	}
}

// Q2_K block (84 bytes): scales [0:16] (sub-block j: scale in the low
// nibble of scales[j], min in the high one), qs [16:80], d f16 [80:82],
// dmin f16 [82:84]. x ≈ d*sc_j*q - dmin*m_j, q in 0..3.

// encodeQ2K is quantize_row_q2_K_ref for one super-block.
func encodeQ2K(b []byte, x []float32) {
	x = x[:qkK]
	b = b[:84]
	var L [qkK]uint8
	var Laux [16]uint8
	var weights [16]float32
	var mins, scales [16]float32
	var maxScale, maxMin float32
	for j := range 16 {
		xs := x[16*j : 16*j+16]
		for l, v := range xs {
			weights[l] = abs32(v)
		}
		scales[j], mins[j] = makeQKXQuants(3, xs, weights[:], L[16*j:16*j+16], Laux[:], -0.5, 0.1, 15, false, true)
		if scales[j] > maxScale {
			maxScale = scales[j]
		}
		if mins[j] > maxMin {
			maxMin = mins[j]
		}
	}
	sc := b[0:16]
	if maxScale > 0 {
		iscale := 15 / maxScale
		for j := range 16 {
			sc[j] = byte(nearestInt(float32(iscale * scales[j])))
		}
		putF16(b[80:], maxScale/15)
	} else {
		clear(sc)
		putF16(b[80:], 0)
	}
	if maxMin > 0 {
		iscale := 15 / maxMin
		for j := range 16 {
			sc[j] |= byte(nearestInt(float32(iscale*mins[j])) << 4)
		}
		putF16(b[82:], maxMin/15)
	} else {
		putF16(b[82:], 0)
	}
	requantQ2K(b, x, &L)
	pack2(b[16:80], &L)
}

// encodeQ2KWeighted is quantize_row_q2_K_impl with quant_weights qw.
func encodeQ2KWeighted(b []byte, x, qw []float32) {
	x, qw = x[:qkK], qw[:qkK]
	b = b[:84]
	var L [qkK]uint8
	var Laux [16]uint8
	var weights, sw, mins, scales [16]float32
	sigma2 := sumSquares(x) / qkK
	for j := range 16 {
		xs := x[16*j : 16*j+16]
		sw[j] = imatrixWeights(weights[:], qw[16*j:16*j+16], xs, sigma2)
		scales[j], mins[j] = makeQKXQuants(3, xs, weights[:], L[16*j:16*j+16], Laux[:], -0.9, 0.05, 36, true, false)
	}
	var ls, lm [16]uint8
	dm := makeQPQuants(15, scales[:], ls[:], sw[:])
	mm := makeQPQuants(15, mins[:], lm[:], sw[:])
	putF16(b[80:], dm)
	putF16(b[82:], mm)
	for j := range 16 {
		b[j] = ls[j] | lm[j]<<4
	}
	requantQ2K(b, x, &L)
	pack2(b[16:80], &L)
}

// requantQ2K recomputes the levels (0..3) against the stored d, dmin and
// 4-bit scales/mins; sub-blocks of zero scale keep the search's L.
func requantQ2K(b []byte, x []float32, L *[qkK]uint8) {
	d, dmin := f16(b[80:]), f16(b[82:])
	for j := range 16 {
		dj := d * float32(b[j]&15)
		if dj == 0 {
			continue
		}
		dm := dmin * float32(b[j]>>4)
		for ii, v := range x[16*j : 16*j+16] {
			L[16*j+ii] = uint8(clampU(nearestInt((v+dm)/dj), 3))
		}
	}
}

// decodeQ2K is dequantize_row_q2_K: y = d*sc_j * q - dmin*m_j.
func decodeQ2K(y []float32, b []byte) {
	y = y[:qkK]
	var q [qkK]uint8
	unpack2(&q, b[16:80])
	d, dmin := f16(b[80:]), f16(b[82:])
	for j := range 16 {
		levels(y[16*j:16*j+16], q[16*j:16*j+16], d*float32(b[j]&15), -(dmin * float32(b[j]>>4)))
	}
}

// dotQ2K is d * sum_j sc_j*(sum q x) - dmin * sum_j m_j*(sum x).
func dotQ2K(x []float32, b []byte) float32 {
	x = x[:qkK]
	var q [qkK]uint8
	unpack2(&q, b[16:80])
	var sq, sm float32
	for j := range 16 {
		xq, xs := dotLevels(x[16*j:16*j+16], q[16*j:16*j+16])
		sq += float32(b[j]&15) * xq
		sm += float32(b[j]>>4) * xs
	}
	return f16(b[80:])*sq - f16(b[82:])*sm
}

// Q3_K block (110 bytes): hmask [0:32], qs [32:96], scales [96:108], d f16
// [108:110]. x ≈ d*(s_j-32)*(q-4), q in 0..7: the low 2 bits in qs (pack2),
// the 3rd bit of element e at bit e/32 of hmask[e%32]. The 6-bit scale s_j
// of sub-block j has its low 4 bits in the low (j < 8) or high (j >= 8)
// nibble of scales[j%8] and its high 2 bits at bits 2(j/4) of
// scales[8 + j%4].

// q3Scale returns the signed scale s_j - 32 of sub-block j (0..15).
func q3Scale(sc []byte, j int) int8 {
	lo := sc[j%8] & 15
	if j >= 8 {
		lo = sc[j-8] >> 4
	}
	return int8(lo|(sc[8+j%4]>>(2*(j/4))&3)<<4) - 32
}

// putQ3Scale stores the 6-bit scale l (0..63) of sub-block j into sc, which
// must start zeroed.
func putQ3Scale(sc []byte, j int, l uint8) {
	if j < 8 {
		sc[j] = l & 15
	} else {
		sc[j-8] |= (l & 15) << 4
	}
	sc[8+j%4] |= (l >> 4) << (2 * (j / 4))
}

// encodeQ3K is quantize_row_q3_K_ref for one super-block.
func encodeQ3K(b []byte, x []float32) {
	x = x[:qkK]
	b = b[:110]
	var L [qkK]uint8
	var scales [16]float32
	var maxScale, amax float32
	for j := range 16 {
		scales[j] = makeQ3Quants(4, x[16*j:16*j+16], L[16*j:16*j+16])
		if s := abs32(scales[j]); s > amax {
			amax, maxScale = s, scales[j]
		}
	}
	sc := b[96:108]
	clear(sc)
	if maxScale != 0 {
		iscale := -32 / maxScale
		for j := range 16 {
			l := int8(nearestInt(float32(iscale * scales[j])))
			putQ3Scale(sc, j, uint8(max(-32, min(31, l))+32))
		}
		putF16(b[108:], 1/iscale)
	} else {
		putF16(b[108:], 0)
	}
	finishQ3K(b, x, &L)
}

// encodeQ3KWeighted is quantize_row_q3_K_impl with quant_weights qw.
func encodeQ3KWeighted(b []byte, x, qw []float32) {
	x, qw = x[:qkK], qw[:qkK]
	b = b[:110]
	var L [qkK]uint8
	var weights [16]float32
	var scales, sw [16]float32
	sigma2 := float32(2*sumSquares(x)) / qkK
	var Lj [16]int8
	for j := range 16 {
		xs := x[16*j : 16*j+16]
		sw[j] = imatrixWeights(weights[:], qw[16*j:16*j+16], xs, sigma2)
		scales[j] = makeQXQuants(4, xs, Lj[:], weights[:])
		for i, v := range Lj {
			L[16*j+i] = uint8(v)
		}
	}
	sc := b[96:108]
	clear(sc)
	var Ls [16]int8
	dBlock := makeQXQuants(32, scales[:], Ls[:], sw[:])
	for j := range 16 {
		putQ3Scale(sc, j, uint8(Ls[j]))
	}
	putF16(b[108:], dBlock)
	finishQ3K(b, x, &L)
}

// finishQ3K requantizes x against the stored d and 6-bit scales (levels
// 0..7; sub-blocks of zero scale keep the search's L) and packs hmask and
// qs.
func finishQ3K(b []byte, x []float32, L *[qkK]uint8) {
	d := f16(b[108:])
	for j := range 16 {
		dj := d * float32(q3Scale(b[96:108], j))
		if dj == 0 {
			continue
		}
		for ii, v := range x[16*j : 16*j+16] {
			L[16*j+ii] = uint8(max(-4, min(3, nearestInt(v/dj))) + 4)
		}
	}
	hm := b[0:32]
	clear(hm)
	for j := range qkK {
		if L[j] > 3 {
			hm[j%32] |= 1 << (j / 32)
			L[j] -= 4
		}
	}
	pack2(b[32:96], L)
}

// unpackQ3K writes the 256 levels (0..7, value q-4) in element order.
func unpackQ3K(q *[qkK]uint8, b []byte) {
	unpack2(q, b[32:96])
	hm := b[0:32]
	for j := range qkK {
		q[j] |= (hm[j%32] >> (j / 32) & 1) << 2
	}
}

// decodeQ3K is dequantize_row_q3_K: y = (d*(s_j-32)) * (q-4).
func decodeQ3K(y []float32, b []byte) {
	y = y[:qkK]
	var q [qkK]uint8
	unpackQ3K(&q, b)
	for i := range q {
		q[i] -= 4 // the signed level q-4, as int8
	}
	d := f16(b[108:])
	for j := range 16 {
		int8s(y[16*j:16*j+16], q[16*j:16*j+16], d*float32(q3Scale(b[96:108], j)))
	}
}

// dotQ3K is d * sum_j (s_j-32) * (sum q x - 4 sum x).
func dotQ3K(x []float32, b []byte) float32 {
	x = x[:qkK]
	var q [qkK]uint8
	unpackQ3K(&q, b)
	var s float32
	for j := range 16 {
		xq, xs := dotLevels(x[16*j:16*j+16], q[16*j:16*j+16])
		s += float32(q3Scale(b[96:108], j)) * (xq - 4*xs)
	}
	return f16(b[108:]) * s
}

// makeQ3Quants is make_q3_quants with do_rmse: symmetric levels
// L[i]-nmax in [-nmax, nmax-1] with an x^2-weighted coordinate-descent
// refinement (5 passes at most). It returns the scale.
func makeQ3Quants(nmax int, x []float32, L []uint8) float32 {
	n := len(x)
	L = L[:n]
	max, amax := signedAbsMax(x)
	if amax < groupMaxEps {
		clear(L)
		return 0
	}
	iscale := float32(-nmax) / max
	var lvBuf [qkK]int32 // signed levels during the refinement
	lv := lvBuf[:n]
	var sumlx, suml2 float32
	for i, v := range x {
		l := max32(int32(-nmax), min32(int32(nmax-1), nearestInt(float32(iscale*v))))
		lv[i] = l
		w := float32(v * v)
		fl := float32(l)
		sumlx += float32(float32(w*v) * fl)
		suml2 += float32(float32(w*fl) * fl)
	}
	for range 5 {
		changed := 0
		for i, v := range x {
			w := float32(v * v)
			fL := float32(lv[i])
			slx := sumlx - float32(float32(w*v)*fL)
			if slx > 0 {
				sl2 := suml2 - float32(float32(w*fL)*fL)
				newL := max32(int32(-nmax), min32(int32(nmax-1), nearestInt(float32(v*sl2)/slx)))
				if newL != lv[i] {
					fn := float32(newL)
					slx += float32(float32(w*v) * fn)
					sl2 += float32(float32(w*fn) * fn)
					if sl2 > 0 && float32(float32(slx*slx)*suml2) > float32(float32(sumlx*sumlx)*sl2) {
						lv[i] = newL
						sumlx, suml2 = slx, sl2
						changed++
					}
				}
			}
		}
		if changed == 0 {
			break
		}
	}
	for i, l := range lv {
		L[i] = uint8(l + int32(nmax))
	}
	if suml2 > 0 {
		return sumlx / suml2
	}
	return 0
}
