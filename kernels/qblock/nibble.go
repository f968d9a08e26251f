package qblock

import "math"

// The two inner loops every decoder but Q6_K reduces to, with assembly
// versions on amd64 (nibble_amd64.s) that must equal these bit for bit.

// nibbles decodes the 2*len(q) elements packed in the nibbles of q, element
// j in the low nibble of q[j] and element j+len(q) in the high one:
//
//	y[j]        = float32(c[0]*float32(int32(q[j]&15)+off)) + c[1]
//	y[j+len(q)] = float32(c[2]*float32(int32(q[j]>>4)+off)) + c[3]
//
// len(q) must be a multiple of 8. A format's "x*d - m" becomes c[1] = -m
// (x - m == x + (-m) exactly) and a plain "x*d" becomes c[1] = -0, which
// leaves every value, signed zeros included, unchanged.
var nibbles = nibblesGeneric

// int8s decodes y[j] = float32(int8(q[j])) * d for j < len(q).
var int8s = int8sGeneric

func nibblesGeneric(y []float32, q []byte, c [4]float32, off int32) {
	var lo, hi [16]float32
	for k := range int32(16) {
		lo[k] = float32(c[0]*float32(k+off)) + c[1]
		hi[k] = float32(c[2]*float32(k+off)) + c[3]
	}
	unpackNibbles(y, q, &lo, &hi)
}

func int8sGeneric(y []float32, q []byte, d float32) {
	y = y[:len(q)]
	for j, v := range q {
		y[j] = float32(int8(v)) * d
	}
}

// dotNibbles returns, for the nibble layout of nibbles (n = len(q)),
//
//	{sum_j x[j]*(q[j]&15), sum_j x[j], sum_j x[j+n]*(q[j]>>4), sum_j x[j+n]}
//
// from which each format's dot product follows with its scales.
var dotNibbles = dotNibblesGeneric

// dotInt8 returns sum_j x[j]*float32(int8(q[j])).
var dotInt8 = dotInt8Generic

func dotNibblesGeneric(x []float32, q []byte) (s [4]float32) {
	n := len(q)
	x0, x1 := x[:n], x[n:2*n]
	for j, v := range q {
		a, b := x0[j], x1[j]
		s[0] += a * float32(v&15)
		s[1] += a
		s[2] += b * float32(v>>4)
		s[3] += b
	}
	return s
}

func dotInt8Generic(x []float32, q []byte) float32 {
	x = x[:len(q)]
	var s0, s1 float32
	j := 0
	for ; j+2 <= len(q); j += 2 {
		s0 += x[j] * float32(int8(q[j]))
		s1 += x[j+1] * float32(int8(q[j+1]))
	}
	for ; j < len(q); j++ {
		s0 += x[j] * float32(int8(q[j]))
	}
	return s0 + s1
}

// int8sBy16 decodes y[16g+i] = float32(int8(q[16g+i])) * s[g] for
// g < len(s), i < 16 (Q6_K's sub-blocks).
var int8sBy16 = int8sBy16Generic

// dotInt8By16 returns sum_g s[g] * sum_i x[16g+i]*float32(int8(q[16g+i])).
var dotInt8By16 = dotInt8By16Generic

func int8sBy16Generic(y []float32, q []byte, s []float32) {
	for g, d := range s {
		int8sGeneric(y[16*g:16*g+16], q[16*g:16*g+16], d)
	}
}

func dotInt8By16Generic(x []float32, q []byte, s []float32) float32 {
	var sum float32
	for g, d := range s {
		sum += d * dotInt8Generic(x[16*g:16*g+16], q[16*g:16*g+16])
	}
	return sum
}

// negZero is -0.0, the additive identity that keeps signed zeros.
var negZero = math.Float32frombits(1 << 31)
