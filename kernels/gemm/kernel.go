package gemm

import "unsafe"

// kernel is a register-blocked micro-kernel together with the cache blocking
// that suits it.
type kernel struct {
	name string
	// mr x nr is the register tile of C one micro call computes.
	mr, nr int
	// mc x kc is the packed block of A (kept in L2), kc x nc the packed
	// block of B (kept in L3). mc is a multiple of mr, nc of nr.
	mc, kc, nc int
	// mb, when set, replaces superRows (tests use it to cross super-blocks
	// with small matrices).
	mb int
	// pairs marks a bf16 kernel (bf16.go): packed A and B hold k-pairs of
	// bfloat16 per 32-bit word and micro's k counts pairs.
	pairs bool
	// rowsA (with pairs) packs A panels row by row: word i*ceil(kc/2)+q
	// of a panel is k-pair q of row i, the tile rows of AMX (amx_amd64.go).
	rowsA bool
	// micro computes C[0:mr, 0:nr] = alpha*Ap*Bp + beta*C, where Ap holds k
	// steps of mr values of A (a column of the tile's rows per step) and Bp k
	// steps of nr values of B. C has row stride ldc. When beta == 0 (either
	// sign) C is not read.
	micro func(k int, a, b, c *float32, ldc int, alpha, beta float32)
	// packT16, when set, packs 16 rows of a B stored [N, K] into 16
	// columns of a panel: dst[q*nr+r] = src[r*ld+q], r < 16, q < kc.
	packT16 func(kc int, src *float32, ld int, dst *float32)
	// packA16, when set (mr = 8), packs 16 rows of a row-major A into two
	// panels: dst[h*8*kc+q*8+r] = src[(8*h+r)*ld+q], h < 2, r < 8, q < kc.
	packA16 func(kc int, src *float32, ld int, dst *float32)
	// packAT16, when set (mr = 8), packs 16*pairs rows of op(A) = A^T into
	// 2*pairs panels: dst[r*8*kc+q*8+i] = src[q*ld+r*8+i].
	packAT16 func(kc int, src *float32, ld int, dst *float32, pairs int)
	// copyNR, when set, packs an untransposed B panel of nr columns:
	// dst[q*nr+j] = src[q*ld+j], j < nr, q < kc.
	copyNR func(kc int, src *float32, ld int, dst *float32)
	// dot4 sets out[r] = sum_p x[p]*b[r*ldb+p] for r < 4: the m == 1 path.
	dot4 func(k int, x, b *float32, ldb int, out *[4]float32)
}

// goKernel is the portable micro-kernel. Other architectures run it, and the
// tests run it on amd64 too.
var goKernel = &kernel{
	name: "go4x4",
	mr:   4, nr: 4,
	mc: 128, kc: 256, nc: 2048,
	micro: microGo4x4,
	dot4:  dot4Go,
}

// active is the kernel Sgemm uses: the best one the CPU supports (see
// kernels, set per architecture). Tests swap it to exercise every kernel.
var active = bestKernel()

func bestKernel() *kernel {
	return availableKernels()[0]
}

// microGo4x4 is kernel.micro for mr = nr = 4 in plain Go: 16 scalar
// accumulators, which the compiler keeps in registers.
func microGo4x4(k int, a, b, c *float32, ldc int, alpha, beta float32) {
	ap := unsafe.Slice(a, 4*k)
	bp := unsafe.Slice(b, 4*k)
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	for p := 0; p < k; p++ {
		av := ap[4*p : 4*p+4 : 4*p+4]
		bv := bp[4*p : 4*p+4 : 4*p+4]
		a0, a1, a2, a3 := av[0], av[1], av[2], av[3]
		b0, b1, b2, b3 := bv[0], bv[1], bv[2], bv[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	cs := unsafe.Slice(c, 3*ldc+4)
	storeRow4(cs[0:4:4], c00, c01, c02, c03, alpha, beta)
	storeRow4(cs[ldc:ldc+4:ldc+4], c10, c11, c12, c13, alpha, beta)
	storeRow4(cs[2*ldc:2*ldc+4:2*ldc+4], c20, c21, c22, c23, alpha, beta)
	storeRow4(cs[3*ldc:3*ldc+4:3*ldc+4], c30, c31, c32, c33, alpha, beta)
}

func storeRow4(dst []float32, s0, s1, s2, s3, alpha, beta float32) {
	dst = dst[:4]
	if beta == 0 {
		dst[0], dst[1], dst[2], dst[3] = alpha*s0, alpha*s1, alpha*s2, alpha*s3
		return
	}
	dst[0] = alpha*s0 + beta*dst[0]
	dst[1] = alpha*s1 + beta*dst[1]
	dst[2] = alpha*s2 + beta*dst[2]
	dst[3] = alpha*s3 + beta*dst[3]
}

// dot4Go is kernel.dot4 in plain Go.
func dot4Go(k int, x, b *float32, ldb int, out *[4]float32) {
	xs := unsafe.Slice(x, k)
	bs := unsafe.Slice(b, 3*ldb+k)
	r0, r1, r2, r3 := bs[:k], bs[ldb:ldb+k], bs[2*ldb:2*ldb+k], bs[3*ldb:3*ldb+k]
	var s0, s1, s2, s3 float32
	for p, xv := range xs {
		s0 += xv * r0[p]
		s1 += xv * r1[p]
		s2 += xv * r2[p]
		s3 += xv * r3[p]
	}
	out[0], out[1], out[2], out[3] = s0, s1, s2, s3
}
