//go:build amd64 && !purego

package cpu

import (
	"math"

	"golang.org/x/sys/cpu"
)

//go:noescape
func expAVX2(dst, src *float32, n int)

//go:noescape
func expSubSumAVX2(dst, src *float32, n int, m float32) float32

//go:noescape
func maxAVX2(dst *[8]float32, x *float32, n int)

var hasAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// expRow writes dst[i] = e^src[i] (dst may be src), 8 lanes at a time with
// AVX2+FMA where available. Results below e^-87 are flushed to 0 and above
// e^88 are +Inf (expf is exact there), which no softmax or sigmoid notices.
func expRow(dst, src []float32) {
	dst = dst[:len(src)]
	n := 0
	if hasAVX2FMA {
		n = len(src) &^ 7
		if n > 0 {
			expAVX2(&dst[0], &src[0], n)
		}
	}
	expRowGo(dst[n:], src[n:])
}

// maxf returns the maximum of x (-Inf when empty).
func maxf(x []float32) float32 {
	n := 0
	m := float32(math.Inf(-1))
	if hasAVX2FMA && len(x) >= 16 {
		n = len(x) &^ 15
		lanes := [8]float32{m, m, m, m, m, m, m, m}
		maxAVX2(&lanes, &x[0], n)
		m = maxfGo(lanes[:])
	}
	return max(m, maxfGo(x[n:]))
}

// expSubSum writes dst[i] = e^(x[i]-m) and returns their float32 sum (8
// lanes at a time where the CPU has AVX2 and FMA); dst may be x.
func expSubSum(dst, x []float32, m float32) float32 {
	dst = dst[:len(x)]
	n := 0
	var s float32
	if hasAVX2FMA {
		n = len(x) &^ 7
		if n > 0 {
			s = expSubSumAVX2(&dst[0], &x[0], n, m)
		}
	}
	return s + expSubSumGo(dst[n:], x[n:], m)
}
