package qblock

// Helpers of the formats whose levels are unpacked to one byte per element
// before decoding (Q5_0, Q5_1, Q5_K, Q3_K, Q2_K): a small table per
// (sub-)block holds each level's value, computed with exactly the
// reference's float operations, so decoding is a lookup per element.

// levelTable fills tab[k] = float32(d*float32(k+off)) - m, the
// dequantize_row_* expression "d * q - m" with q = k + off. The product is
// rounded before the subtraction, as in the C code (no FMA).
func levelTable(tab []float32, d, m float32, off int) {
	for k := range tab {
		tab[k] = float32(d*float32(k+off)) - m
	}
}

// lookupLevels sets y[i] = tab[q[i]].
func lookupLevels(y []float32, q []uint8, tab []float32) {
	y = y[:len(q)]
	for i, v := range q {
		y[i] = tab[v]
	}
}

// dotLevels returns sum_i x[i]*q[i] and sum_i x[i].
func dotLevels(x []float32, q []uint8) (xq, xs float32) {
	x = x[:len(q)]
	for i, v := range q {
		xq += x[i] * float32(v)
		xs += x[i]
	}
	return xq, xs
}
