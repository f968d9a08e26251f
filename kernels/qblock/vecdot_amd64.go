//go:build amd64 && !purego

package qblock

import "github.com/distill-dev/distill/kernels"

//go:noescape
func q8q8DotAVX2(w *byte, a *byte, d *float32, nblocks int) float32

//go:noescape
func quantQ8AVX2(x *float32, q *byte, d *float32, nblocks int)

// quantQ8Arch is quantQ8's loop in AVX2 assembly.
func quantQ8Arch(q []byte, d, x []float32) bool {
	if !useAVX2 || len(d) == 0 {
		return false
	}
	quantQ8AVX2(&x[0], &q[0], &d[0], len(d))
	return true
}

//go:noescape
func q4q8DotAVX2(w *byte, a *byte, d *float32, nblocks int) float32

// intDotArch is IntDot's Q8_0 and Q4_0 cases in AVX2 assembly.
func intDotArch(dt kernels.DType, src []byte, a *Act) (float32, bool) {
	if (dt != kernels.Q8_0 && dt != kernels.Q4_0) || !useRow4 || !useFMA || len(a.d) == 0 {
		return 0, false
	}
	if dt == kernels.Q8_0 {
		return q8q8DotAVX2(&src[0], &a.q[0], &a.d[0], len(a.d)), true
	}
	return q4q8DotAVX2(&src[0], &a.q[0], &a.d[0], len(a.d)), true
}
