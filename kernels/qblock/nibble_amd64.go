//go:build amd64 && !purego

package qblock

import "golang.org/x/sys/cpu"

//go:noescape
func nibblesAVX2(y *float32, q *byte, n int, c *[4]float32, off int32)

//go:noescape
func int8sAVX2(y *float32, q *byte, n int, d float32)

//go:noescape
func dotNibblesAVX2(x *float32, q *byte, n int, out *[4]float32)

//go:noescape
func dotInt8AVX2(x *float32, q *byte, n int) float32

//go:noescape
func int8sBy16AVX2(y *float32, q *byte, s *float32, groups int)

//go:noescape
func dotInt8By16AVX2(x *float32, q *byte, s *float32, groups int) float32

var (
	useAVX2 = cpu.X86.HasAVX2
	useFMA  = cpu.X86.HasAVX2 && cpu.X86.HasFMA
)

func init() {
	if useAVX2 {
		nibbles = nibblesAsm
		int8s = int8sAsm
		int8sBy16 = func(y []float32, q []byte, s []float32) {
			checkBy16("int8sBy16", len(y), len(q), len(s))
			int8sBy16AVX2(&y[0], &q[0], &s[0], len(s))
		}
	}
	if useFMA {
		dotNibbles = dotNibblesAsm
		dotInt8 = dotInt8Asm
		dotInt8By16 = func(x []float32, q []byte, s []float32) float32 {
			checkBy16("dotInt8By16", len(x), len(q), len(s))
			return dotInt8By16AVX2(&x[0], &q[0], &s[0], len(s))
		}
	}
}

func dotNibblesAsm(x []float32, q []byte) (s [4]float32) {
	n := len(q)
	if n%8 != 0 || len(x) < 2*n {
		panic("qblock: dotNibbles: bad sizes")
	}
	dotNibblesAVX2(&x[0], &q[0], n, &s)
	return s
}

func dotInt8Asm(x []float32, q []byte) float32 {
	n := len(q) &^ 15
	if len(x) < len(q) {
		panic("qblock: dotInt8: bad sizes")
	}
	var s float32
	if n > 0 {
		s = dotInt8AVX2(&x[0], &q[0], n)
	}
	return s + dotInt8Generic(x[n:], q[n:])
}

func nibblesAsm(y []float32, q []byte, c [4]float32, off int32) {
	n := len(q)
	if n%8 != 0 || len(y) < 2*n {
		panic("qblock: nibbles: bad sizes")
	}
	nibblesAVX2(&y[0], &q[0], n, &c, off)
}

func int8sAsm(y []float32, q []byte, d float32) {
	n := len(q) &^ 7
	if len(y) < len(q) {
		panic("qblock: int8s: bad sizes")
	}
	if n > 0 {
		int8sAVX2(&y[0], &q[0], n, d)
	}
	int8sGeneric(y[n:], q[n:], d)
}

func checkBy16(fn string, nx, nq, ns int) {
	if ns == 0 || nx < 16*ns || nq < 16*ns {
		panic("qblock: " + fn + ": bad sizes")
	}
}
