package cpu

import "math"

// expf is a float32 exp accurate to about 1 ulp (Cephes expf: range
// reduction x = n ln2 + r with |r| <= ln2/2, a degree-6 polynomial for e^r,
// and an exact scaling by 2^n). It is several times faster than
// float32(math.Exp(float64(x))) and is used wherever softmax, sigmoid or tanh
// exponentiate whole rows. The common range is kept small enough to inline.
func expf(x float32) float32 {
	if !(x >= -87 && x <= 88) { // also NaN
		return expfEdge(x)
	}
	// Round x/ln2 to the nearest integer n by adding 1.5*2^23, which pushes
	// the fraction out of the mantissa; the low mantissa bits are then n.
	t := x*1.44269504088896341 + 0x1.8p23
	n := t - 0x1.8p23
	r := x - n*0.693359375 - n*-2.12194440e-4
	y := ((((1.9875691500e-4*r+1.3981999507e-3)*r+8.3334519073e-3)*r+4.1665795894e-2)*r+1.6666665459e-1)*r + 5.0000001201e-1
	return (y*r*r + r + 1) * math.Float32frombits(uint32(int32(math.Float32bits(t))-0x4B400000+127)<<23)
}

// expfEdge is expf outside [-87, 88], where 2^n leaves the normal range.
func expfEdge(x float32) float32 {
	switch {
	case x != x:
		return x
	case x > 88.72284:
		return float32(math.Inf(1))
	case x < -103.97208:
		return 0
	}
	t := x*1.44269504088896341 + 0x1.8p23
	n := t - 0x1.8p23
	ni := int32(math.Float32bits(t)) - 0x4B400000
	r := x - n*0.693359375 - n*-2.12194440e-4
	y := ((((1.9875691500e-4*r+1.3981999507e-3)*r+8.3334519073e-3)*r+4.1665795894e-2)*r+1.6666665459e-1)*r + 5.0000001201e-1
	// Scale by 2^n in two steps so that n in [-150, 128] never leaves the
	// normal exponent range of either factor.
	n1 := ni >> 1
	n2 := ni - n1
	return (y*r*r + r + 1) * math.Float32frombits(uint32(n1+127)<<23) * math.Float32frombits(uint32(n2+127)<<23)
}

// expRowGo writes dst[i] = e^src[i] (dst may be src). It is expf with the
// common range inlined into the loop, which the compiler will not do; the
// portable fallback of expRow.
func expRowGo(dst, src []float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		if !(x >= -87 && x <= 88) {
			dst[i] = expfEdge(x)
			continue
		}
		t := x*1.44269504088896341 + 0x1.8p23
		n := t - 0x1.8p23
		r := x - n*0.693359375 - n*-2.12194440e-4
		y := ((((1.9875691500e-4*r+1.3981999507e-3)*r+8.3334519073e-3)*r+4.1665795894e-2)*r+1.6666665459e-1)*r + 5.0000001201e-1
		dst[i] = (y*r*r + r + 1) * math.Float32frombits(uint32(int32(math.Float32bits(t))-0x4B400000+127)<<23)
	}
}

// expSum writes dst[i] = e^(x[i]-m) and returns their sum, accumulated in
// float32 within blocks of 256 (expSubSum) and in float64 across blocks
// (vocabulary rows are long). dst may be x.
func expSum(dst, x []float32, m float32) float64 {
	dst = dst[:len(x)]
	var total float64
	for b0 := 0; b0 < len(x); b0 += 256 {
		b1 := min(b0+256, len(x))
		total += float64(expSubSum(dst[b0:b1], x[b0:b1], m))
	}
	return total
}

// expSubSumGo is expSubSum in Go.
func expSubSumGo(dst, x []float32, m float32) float32 {
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = v - m
	}
	expRowGo(dst, dst)
	var s float32
	for _, e := range dst {
		s += e
	}
	return s
}

// maxfGo returns the maximum of x (-Inf when empty); the portable maxf.
func maxfGo(x []float32) float32 {
	m := float32(math.Inf(-1))
	for _, v := range x {
		if v > m {
			m = v
		}
	}
	return m
}
