package qblock

import "github.com/distill-dev/distill/kernels"

// Importance-weighted Q4_0, Q4_1, Q5_0 and Q5_1 (llama.cpp's
// quantize_row_q{4,5}_{0,1}_impl, what llama-quantize runs when given an
// imatrix). Unlike the k-quants, their element weights qw*sqrt(sigma2 + x^2)
// take sigma2 from the whole row, so they encode a row at a time.

func init() {
	formats[kernels.Q4_0].encodeWeightedRow = func(dst []byte, x, qw []float32) { encodeRowLegacyWeighted(dst, x, qw, 18, 8, false) }
	formats[kernels.Q4_1].encodeWeightedRow = func(dst []byte, x, qw []float32) { encodeRowLegacyWeighted(dst, x, qw, 20, 15, true) }
	formats[kernels.Q5_0].encodeWeightedRow = func(dst []byte, x, qw []float32) { encodeRowLegacyWeighted(dst, x, qw, 22, 16, false) }
	formats[kernels.Q5_1].encodeWeightedRow = func(dst []byte, x, qw []float32) { encodeRowLegacyWeighted(dst, x, qw, 24, 31, true) }
}

// encodeRowLegacyWeighted encodes a row of 32-element blocks of bb bytes:
// symmetric (Q4_0 nmax 8, Q5_0 nmax 16) with make_qx_quants(32, nmax, x, L,
// 1, weights), asymmetric (Q4_1 nmax 15, Q5_1 nmax 31) with
// make_qkx3_quants(32, nmax, x, weights, L, &min, Laux, -0.9, 0.05, 36,
// false), sigma2 = mean x^2 over the row.
func encodeRowLegacyWeighted(dst []byte, x, qw []float32, bb, nmax int, asym bool) {
	sigma2 := sumSquares(x) / float32(len(x))
	var weight [32]float32
	var L, Laux [32]uint8
	var Ls [32]int8
	for ib := 0; ib < len(x)/32; ib++ {
		xb, b := x[32*ib:32*ib+32], dst[bb*ib:bb*ib+bb]
		imatrixWeights(weight[:], qw[32*ib:32*ib+32], xb, sigma2)
		hdr := 2
		if asym {
			d, negMin := makeQKXQuants(nmax, xb, weight[:], L[:], Laux[:], -0.9, 0.05, 36, true, false)
			putF16(b, d)
			putF16(b[2:], -negMin)
			hdr = 4
		} else {
			putF16(b, makeQXQuants(nmax, xb, Ls[:], weight[:]))
			for j, l := range Ls {
				L[j] = uint8(l)
			}
		}
		if nmax <= 15 {
			for j := range 16 {
				b[hdr+j] = L[j] | L[j+16]<<4
			}
			continue
		}
		pack5(b[hdr:hdr+4], b[hdr+4:hdr+20], &L)
	}
}
