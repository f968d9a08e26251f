//go:build amd64 && !purego

package qblock

import (
	"golang.org/x/sys/cpu"

	"github.com/distill-dev/distill/kernels"
)

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

//go:noescape
func q4kq8kDotVNNI(w *byte, a *byte, d *float32, bsums *int32, nblocks int) float32

//go:noescape
func q5kq8kDotVNNI(w *byte, a *byte, d *float32, bsums *int32, nblocks int) float32

//go:noescape
func q6kq8kDotVNNI(w *byte, a *byte, d *float32, bsums *int32, nblocks int) float32

// useVNNI selects the 512-bit k-quant kernels (vecdot_vnni_amd64.s):
// AVX-512 BW for the byte and word ops, VNNI for VPDPWSSD.
var useVNNI = useRow4 && useFMA && cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VNNI

// intDotArch is IntDot in assembly: Q8_0 and Q4_0 in AVX2
// (vecdot_amd64.s), Q4_K, Q5_K and Q6_K in AVX-512 VNNI where the CPU has
// it (vecdot_vnni_amd64.s), else AVX2 (vecdot_kquant_amd64.s).
func intDotArch(dt kernels.DType, src []byte, a *Act) (float32, bool) {
	if !useRow4 || !useFMA || len(a.d) == 0 {
		return 0, false
	}
	if useVNNI {
		switch dt {
		case kernels.Q4_K:
			return q4kq8kDotVNNI(&src[0], &a.q[0], &a.d[0], &a.bsums[0], len(a.d)), true
		case kernels.Q5_K:
			return q5kq8kDotVNNI(&src[0], &a.q[0], &a.d[0], &a.bsums[0], len(a.d)), true
		case kernels.Q6_K:
			return q6kq8kDotVNNI(&src[0], &a.q[0], &a.d[0], &a.bsums[0], len(a.d)), true
		}
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
