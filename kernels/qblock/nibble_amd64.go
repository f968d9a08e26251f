//go:build amd64 && !purego

package qblock

import "golang.org/x/sys/cpu"

//go:noescape
func int8sAVX2(y *float32, q *byte, n int, d float32)

//go:noescape
func dotInt8AVX2(x *float32, q *byte, n int) float32

//go:noescape
func levelsAVX2(y *float32, q *byte, n int, d, c float32)

var (
	useAVX2 = cpu.X86.HasAVX2
	useFMA  = cpu.X86.HasAVX2 && cpu.X86.HasFMA
)

func int8sArch(y []float32, q []byte, d float32) bool {
	n := len(q) &^ 7
	if !useAVX2 || n == 0 {
		return false
	}
	if len(y) < len(q) {
		panic("qblock: int8s: bad sizes")
	}
	int8sAVX2(&y[0], &q[0], n, d)
	int8sGeneric(y[n:len(q)], q[n:], d)
	return true
}

func dotInt8Arch(x []float32, q []byte) (float32, bool) {
	n := len(q) &^ 15
	if !useFMA || n == 0 {
		return 0, false
	}
	if len(x) < len(q) {
		panic("qblock: dotInt8: bad sizes")
	}
	return dotInt8AVX2(&x[0], &q[0], n) + dotInt8Generic(x[n:len(q)], q[n:]), true
}

func levelsArch(y []float32, q []byte, d, c float32) bool {
	n := len(q) &^ 7
	if !useAVX2 || n == 0 {
		return false
	}
	if len(y) < len(q) {
		panic("qblock: levels: bad sizes")
	}
	levelsAVX2(&y[0], &q[0], n, d, c)
	levelsGeneric(y[n:len(q)], q[n:], d, c)
	return true
}
