package qblock

import "math"

// The inner loops the per-block decoders and dot products reduce to. The
// int8 ones dispatch to assembly (nibble_amd64.s, through the *Arch
// functions, which report false when they do not apply) that must equal the
// Go loop bit for bit; whole rows of the block formats have their own
// kernels (row_amd64.s), so the per-block nibble loops stay in Go. Static
// calls, not function variables, so that callers' stack buffers do not
// escape to the heap.

// int8s decodes y[j] = float32(int8(q[j])) * d for j < len(q).
func int8s(y []float32, q []byte, d float32) {
	if !int8sArch(y, q, d) {
		int8sGeneric(y, q, d)
	}
}

// nibbles decodes the 2*len(q) elements packed in the nibbles of q, element
// j in the low nibble of q[j] and element j+len(q) in the high one:
//
//	y[j]        = float32(c[0]*float32(int32(q[j]&15)+off)) + c[1]
//	y[j+len(q)] = float32(c[2]*float32(int32(q[j]>>4)+off)) + c[3]
//
// len(q) must be a multiple of 8. A format's "x*d - m" becomes c[1] = -m
// (x - m == x + (-m) exactly) and a plain "x*d" becomes c[1] = -0, which
// leaves every value, signed zeros included, unchanged.
func nibbles(y []float32, q []byte, c [4]float32, off int32) {
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

// dotInt8 returns sum_j x[j]*float32(int8(q[j])).
func dotInt8(x []float32, q []byte) float32 {
	if s, ok := dotInt8Arch(x, q); ok {
		return s
	}
	return dotInt8Generic(x, q)
}

// dotNibbles returns, for the nibble layout of nibbles (n = len(q)),
//
//	{sum_j x[j]*(q[j]&15), sum_j x[j], sum_j x[j+n]*(q[j]>>4), sum_j x[j+n]}
//
// from which each format's dot product follows with its scales.
func dotNibbles(x []float32, q []byte) (s [4]float32) {
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
func int8sBy16(y []float32, q []byte, s []float32) {
	for g, d := range s {
		int8sGeneric(y[16*g:16*g+16], q[16*g:16*g+16], d)
	}
}

// dotInt8By16 returns sum_g s[g] * sum_i x[16g+i]*float32(int8(q[16g+i])).
func dotInt8By16(x []float32, q []byte, s []float32) float32 {
	var sum float32
	for g, d := range s {
		sum += d * dotInt8Generic(x[16*g:16*g+16], q[16*g:16*g+16])
	}
	return sum
}

// negZero is -0.0, the additive identity that keeps signed zeros.
var negZero = math.Float32frombits(1 << 31)
