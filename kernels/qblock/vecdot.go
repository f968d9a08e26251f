package qblock

import (
	"fmt"
	"math"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/half"
)

// Integer dot products in llama.cpp's vec_dot manner: the activations are
// quantized to 8 bits per block first (Act), then each weight block's
// integer levels are multiplied with them in int32 and scaled once per
// (sub-)block. This trades a second rounding (of the activations) for
// integer arithmetic; the float path (DotRow) stays the reference.
//
// Two activation layouts, as in llama.cpp:
//
//	Q8_0 weights, Q4_0: blocks of 32, d = f16(m/127) with m = max|x|,
//	    q = round_half_even(x * 127/m) (llama.cpp's SIMD quantize_row_q8_0,
//	    which vec_dot_type Q8_0 runs; its _ref rounds ties away from zero)
//	Q4_K, Q5_K, Q6_K: blocks of 256 (Q8_K), d = 1/(-127/m) with m the
//	    element of largest magnitude, q = min(127, nearest_int(-127/m * x)),
//	    and the sum of every 16 q (bsums) for the k-quants' min terms.

// Act is a row of activations quantized for IntDot.
type Act struct {
	kind  kernels.DType // Q8_0 (32-blocks) or Q6_K (stands for Q8_K: 256-blocks)
	d     []float32     // one scale per block
	q     []byte        // the levels (int8 bit patterns), len = row length
	bsums []int32       // Q8_K: sums of every 16 levels
}

// ActType returns the activation layout IntDot pairs with weights of dtype
// dt, or false when dt has no integer dot product.
func ActType(dt kernels.DType) (kernels.DType, bool) {
	switch dt {
	case kernels.Q8_0, kernels.Q4_0:
		return kernels.Q8_0, true
	case kernels.Q4_K, kernels.Q5_K, kernels.Q6_K:
		return kernels.Q6_K, true
	}
	return 0, false
}

// QuantizeAct quantizes x for IntDot with weights of dtype dt (see
// ActType), reusing a's storage. It panics when dt has no integer dot
// product or len(x) does not fit its blocks.
func QuantizeAct(a *Act, dt kernels.DType, x []float32) {
	kind, ok := ActType(dt)
	if !ok {
		panic("qblock: QuantizeAct: no integer dot product for " + dt.String())
	}
	bs := 32
	if kind == kernels.Q6_K {
		bs = qkK
	}
	if len(x)%bs != 0 {
		panic(fmt.Sprintf("qblock: QuantizeAct: %s activations of %d elements, not a multiple of %d", dt, len(x), bs))
	}
	a.kind = kind
	a.d = grow(a.d, len(x)/bs)
	a.q = grow(a.q, len(x))
	if kind == kernels.Q8_0 {
		if !quantQ8Arch(a.q, a.d, x) {
			quantQ8Generic(a.q, a.d, x)
		}
		for i, d := range a.d {
			a.d[i] = half.WidenF16(half.RoundF16(d)) // the stored block scale
		}
		return
	}
	a.bsums = grow(a.bsums, len(x)/16)
	for i := range a.d {
		xs, qs := x[qkK*i:qkK*(i+1)], a.q[qkK*i:qkK*(i+1)]
		max, amax := signedAbsMax(xs)
		if amax == 0 {
			a.d[i] = 0
			clear(qs)
			clear(a.bsums[16*i : 16*i+16])
			continue
		}
		iscale := -127 / max
		for j, v := range xs {
			qs[j] = byte(int8(min32(127, nearestInt(float32(iscale*v)))))
		}
		for j := range 16 {
			var s int32
			for _, v := range qs[16*j : 16*j+16] {
				s += int32(int8(v))
			}
			a.bsums[16*i+j] = s
		}
		a.d[i] = 1 / iscale
	}
}

// Decode writes the values the activations stand for, d*q per element,
// into dst[:len(x)] (x the row QuantizeAct quantized): the row IntDot
// multiplies the weights with.
func (a *Act) Decode(dst []float32) {
	bs := len(a.q) / max(len(a.d), 1)
	for i, v := range a.q {
		dst[i] = a.d[i/bs] * float32(int8(v))
	}
}

// quantQ8Generic is llama.cpp's SIMD quantize_row_q8_0 (not the _ref, whose
// roundf rounds ties away from zero and divides by d): per block of 32,
// m = max|x|, d[i] = m/127 (unrounded), q = round_half_even(x * (127/m)).
func quantQ8Generic(q []byte, d, x []float32) {
	for i := range d {
		xs := x[32*i : 32*i+32]
		var m float32
		for _, v := range xs {
			m = cmax(m, abs32(v))
		}
		d[i] = m / 127
		var id float32
		if m != 0 {
			id = 127 / m
		}
		for j, v := range xs {
			q[32*i+j] = byte(int8(math.RoundToEven(float64(float32(v * id)))))
		}
	}
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// IntDot returns the dot product of the row of dtype dt encoded in src with
// the activations a (quantized by QuantizeAct for dt), with integer
// products as llama.cpp's ggml_vec_dot_<dt>_q8_{0,K}. It panics when the
// sizes or layouts do not match.
func IntDot(dt kernels.DType, src []byte, a *Act) float32 {
	checkSizes("IntDot", dt, len(a.q), len(src))
	if kind, ok := ActType(dt); !ok || kind != a.kind {
		panic("qblock: IntDot: activations quantized for another type than " + dt.String())
	}
	if s, ok := intDotArch(dt, src, a); ok {
		return s
	}
	return intDotGeneric(dt, src, a)
}

// intDotGeneric is IntDot in Go.
func intDotGeneric(dt kernels.DType, src []byte, a *Act) float32 {
	var sum float32
	switch dt {
	case kernels.Q8_0:
		for i, d := range a.d {
			b := src[34*i : 34*i+34]
			sum += float32(dotI8(b[2:34], a.q[32*i:32*i+32])) * (f16(b) * d)
		}
	case kernels.Q4_0:
		for i, d := range a.d {
			b := src[18*i : 18*i+18]
			sum += float32(dotQ4I8(b[2:18], a.q[32*i:32*i+32])) * (f16(b) * d)
		}
	case kernels.Q4_K, kernels.Q5_K:
		bb := formats[dt].blockBytes
		var q [qkK]uint8
		for i, d := range a.d {
			b := src[bb*i : bb*(i+1)]
			if dt == kernels.Q4_K {
				unpackQ4K(&q, b)
			} else {
				unpackQ5K(&q, b)
			}
			qa, bs := a.q[qkK*i:qkK*(i+1)], a.bsums[16*i:16*i+16]
			var sumi, summ int32
			for j := range 8 {
				sc, m := scaleMinK4(j, b[4:16])
				sumi += int32(sc) * dotU8I8(q[32*j:32*j+32], qa[32*j:32*j+32])
				summ += int32(m) * (bs[2*j] + bs[2*j+1])
			}
			sum += f16(b)*d*float32(sumi) - f16(b[2:])*d*float32(summ)
		}
	case kernels.Q6_K:
		var q [qkK]byte
		for i, d := range a.d {
			b := src[210*i : 210*(i+1)]
			unpackQ6K(&q, b)
			qa := a.q[qkK*i : qkK*(i+1)]
			var sumi int32
			for j := range 16 {
				sumi += int32(int8(b[192+j])) * dotI8(q[16*j:16*j+16], qa[16*j:16*j+16])
			}
			sum += f16(b[208:]) * d * float32(sumi)
		}
	}
	return sum
}

// dotI8 is sum int8(w[i]) * int8(a[i]) in int32.
func dotI8(w, a []byte) int32 {
	a = a[:len(w)]
	var s int32
	for i, v := range w {
		s += int32(int8(v)) * int32(int8(a[i]))
	}
	return s
}

// dotU8I8 is sum w[i] * int8(a[i]) in int32 for unsigned levels w.
func dotU8I8(w []uint8, a []byte) int32 {
	a = a[:len(w)]
	var s int32
	for i, v := range w {
		s += int32(v) * int32(int8(a[i]))
	}
	return s
}

// dotQ4I8 is sum (q-8) * int8(a) over a Q4_0 block's 16 nibble bytes.
func dotQ4I8(qs, a []byte) int32 {
	a = a[:32]
	var s int32
	for j, v := range qs[:16] {
		s += (int32(v&15)-8)*int32(int8(a[j])) + (int32(v>>4)-8)*int32(int8(a[j+16]))
	}
	return s
}

// unpackQ4K writes the 256 levels (0..15) of a Q4_K block in element order.
func unpackQ4K(q *[qkK]uint8, b []byte) {
	qs := b[16:144]
	for i := range 4 {
		for l := range 32 {
			v := qs[32*i+l]
			q[64*i+l] = v & 15
			q[64*i+32+l] = v >> 4
		}
	}
}
