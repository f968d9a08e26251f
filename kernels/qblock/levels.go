package qblock

// Helpers of the formats whose levels are unpacked to one byte per element
// before decoding (Q5_0, Q5_1, Q5_K, Q3_K, Q2_K): the unpacking is Go, the
// conversion to float32 one vectorised loop per (sub-)block with exactly
// the reference's float operations.

// levels decodes y[j] = float32(d*float32(q[j])) + c for unsigned levels q:
// dequantize_row_*'s "d * q - m" with c = -m (x - m == x + (-m) exactly),
// or "q * d + m" with c = m. The product is rounded before the add (no FMA).
func levels(y []float32, q []byte, d, c float32) {
	if !levelsArch(y, q, d, c) {
		levelsGeneric(y, q, d, c)
	}
}

func levelsGeneric(y []float32, q []byte, d, c float32) {
	y = y[:len(q)]
	for j, v := range q {
		y[j] = float32(d*float32(v)) + c
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
