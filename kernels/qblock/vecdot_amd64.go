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

//go:noescape
func q4kq8kDotAVX2(w *byte, a *byte, d *float32, bsums *int32, nblocks int) float32

//go:noescape
func q5kq8kDotAVX2(w *byte, a *byte, d *float32, bsums *int32, nblocks int) float32

//go:noescape
func q6kq8kDotAVX2(w *byte, a *byte, d *float32, bsums *int32, nblocks int) float32

// intDotArch is IntDot in AVX2 assembly (vecdot_amd64.s: Q8_0, Q4_0;
// vecdot_kquant_amd64.s: Q4_K, Q5_K, Q6_K).
func intDotArch(dt kernels.DType, src []byte, a *Act) (float32, bool) {
	if !useRow4 || !useFMA || len(a.d) == 0 {
		return 0, false
	}
	switch dt {
	case kernels.Q8_0:
		return q8q8DotAVX2(&src[0], &a.q[0], &a.d[0], len(a.d)), true
	case kernels.Q4_0:
		return q4q8DotAVX2(&src[0], &a.q[0], &a.d[0], len(a.d)), true
	case kernels.Q4_K:
		return q4kq8kDotAVX2(&src[0], &a.q[0], &a.d[0], &a.bsums[0], len(a.d)), true
	case kernels.Q5_K:
		return q5kq8kDotAVX2(&src[0], &a.q[0], &a.d[0], &a.bsums[0], len(a.d)), true
	case kernels.Q6_K:
		return q6kq8kDotAVX2(&src[0], &a.q[0], &a.d[0], &a.bsums[0], len(a.d)), true
	}
	return 0, false
}
