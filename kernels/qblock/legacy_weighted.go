package qblock

import "github.com/distill-dev/distill/kernels"

// Importance-weighted Q4_0 and Q4_1 (llama.cpp's quantize_row_q4_{0,1}_impl,
// what llama-quantize runs when given an imatrix). Unlike the k-quants,
// their element weights qw*sqrt(sigma2 + x^2) take sigma2 from the whole
// row, so they encode a row at a time.

func init() {
	formats[kernels.Q4_0].encodeWeightedRow = encodeRowQ4_0Weighted
	formats[kernels.Q4_1].encodeWeightedRow = encodeRowQ4_1Weighted
}

// rowSigma2 is quantize_row_q4_{0,1}_impl's sigma2: mean x^2 over the row.
func rowSigma2(x []float32) float32 { return sumSquares(x) / float32(len(x)) }

// encodeRowQ4_0Weighted is quantize_row_q4_0_impl: per block
// make_qx_quants(32, 8, x, L, 1, weights).
func encodeRowQ4_0Weighted(dst []byte, x, qw []float32) {
	sigma2 := rowSigma2(x)
	var weight [32]float32
	var L [32]int8
	for ib := 0; ib < len(x)/32; ib++ {
		xb, b := x[32*ib:32*ib+32], dst[18*ib:18*ib+18]
		imatrixWeights(weight[:], qw[32*ib:32*ib+32], xb, sigma2)
		putF16(b, makeQXQuants(8, xb, L[:], weight[:]))
		for j := range 16 {
			b[2+j] = uint8(L[j]) | uint8(L[j+16])<<4
		}
	}
}

// encodeRowQ4_1Weighted is quantize_row_q4_1_impl: per block
// make_qkx3_quants(32, 15, x, weights, L, &min, Laux, -0.9, 0.05, 36, false).
func encodeRowQ4_1Weighted(dst []byte, x, qw []float32) {
	sigma2 := rowSigma2(x)
	var weight [32]float32
	var L, Laux [32]uint8
	for ib := 0; ib < len(x)/32; ib++ {
		xb, b := x[32*ib:32*ib+32], dst[20*ib:20*ib+20]
		imatrixWeights(weight[:], qw[32*ib:32*ib+32], xb, sigma2)
		d, negMin := makeQKXQuants(15, xb, weight[:], L[:], Laux[:], -0.9, 0.05, 36, true, false)
		putF16(b, d)
		putF16(b[2:], -negMin)
		for j := range 16 {
			b[4+j] = L[j] | L[j+16]<<4
		}
	}
}
