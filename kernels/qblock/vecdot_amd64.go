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

// useVNNI allows the 512-bit k-quant kernels (vecdot_vnni_amd64.s):
// AVX-512 BW for the byte and word ops, VNNI for VPDPWSSD.
var useVNNI = useRow4 && useFMA && cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VNNI

// intDotArch is IntDot in assembly: Q8_0 and Q4_0 in AVX2
// (vecdot_amd64.s); Q4_K and Q5_K in AVX2 (vecdot_kquant_amd64.s); Q6_K in
// AVX-512 VNNI where the CPU has it (vecdot_vnni_amd64.s), else AVX2. Only
// the Q6_K VNNI kernel measured faster than its AVX2 one (CPU time, best of
// 15 x 20000 calls, 4096-element rows, 2 runs on the shared 2-core Xeon:
// Q6_K 126-135 ns vs 142-148; Q4_K 140-147 vs 128-130, Q5_K 180-186 vs
// 154-155), so the Q4_K and Q5_K VNNI kernels stay as tested experiments
// (TestIntDotKernels, BenchmarkIntDotKernels).
func intDotArch(dt kernels.DType, src []byte, a *Act) (float32, bool) {
	if !useRow4 || !useFMA || len(a.d) == 0 {
		return 0, false
	}
	if useVNNI && dt == kernels.Q6_K {
		return q6kq8kDotVNNI(&src[0], &a.q[0], &a.d[0], &a.bsums[0], len(a.d)), true
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
