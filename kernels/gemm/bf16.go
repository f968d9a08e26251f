package gemm

import (
	"math"
	"sync"
	"unsafe"

	"github.com/distill-dev/distill/kernels/half"
)

// The bf16 product: activations rounded to bfloat16 and multiplied by
// bfloat16 weights with float32 accumulation, the way oneDNN runs a bf16
// model. It uses the blocked driver unchanged; only the packing and the
// micro-kernel differ. A packed panel holds k-pairs: 32-bit word q*mr+i of
// an A panel is bf16(A[i, 2q]) | bf16(A[i, 2q+1])<<16, word q*nr+j of a B
// panel is B[j, 2q] | B[j, 2q+1]<<16 (an odd k is padded with a zero), so
// one VDPBF16PS adds a.lo*b.lo + a.hi*b.hi to each float32 lane. A panel
// of kc values takes half the words of a float32 one and sits at the same
// offset in the packing buffers.

// bf16MaxKC bounds kc of every bf16 kernel (the stack buffer of packAPairs).
const bf16MaxKC = 1024

// goBF16Kernel is the portable bf16 micro-kernel: other CPUs run it, and
// the tests run it everywhere.
var goBF16Kernel = &kernel{
	name: "go-bf16-4x4",
	mr:   4, nr: 4,
	mc: 128, kc: 512, nc: 2048,
	pairs: true,
	micro: microGoBF16_4x4,
}

// activeBF16 is the bf16 kernel SgemmBF16BThreads uses, chosen on first
// use (bf16Kernel) rather than at package init: choosing the AMX kernel asks
// Linux for the tile state, which no process that never multiplies in bf16
// should do. Tests swap it after calling bf16Kernel.
var (
	activeBF16     *kernel
	chooseBF16Once sync.Once
)

// bf16Kernel returns activeBF16, choosing the best available kernel the
// first time.
func bf16Kernel() *kernel {
	chooseBF16Once.Do(func() { activeBF16 = availableBF16Kernels()[0] })
	return activeBF16
}

// BF16Native reports whether SgemmBF16BThreads runs on bf16 dot-product
// instructions (AVX512_BF16). Without them it still computes the same
// numbers, in portable Go and much slower than Sgemm: callers then keep
// their float32 path.
func BF16Native() bool { return bf16Kernel() != goBF16Kernel }

// SgemmBF16BThreads computes C = alpha*bf16(A)*B^T + beta*C on at most
// threads goroutines (threads <= 0 means runtime.GOMAXPROCS(0)). A is m x k
// float32 (leading dimension lda), rounded to bfloat16 (nearest even, as
// half.F32ToBF16) while packing; B is n x k bfloat16 bits (leading
// dimension ldb), the layout of a weight matrix. Products of two bfloat16
// values are exact in float32 and are summed in float32, so the result is
// the float64 product of the rounded operands up to float32 rounding of the
// sums (the hardware flushes subnormal inputs to zero). When beta is 0, C
// is not read.
func SgemmBF16BThreads(threads, m, n, k int, alpha float32, a []float32, lda int, b []uint16, ldb int, beta float32, c []float32, ldc int) {
	checkDims(m, n, k)
	checkMatrix("A", a, m, k, lda)
	checkMatrix("B", b, n, k, ldb)
	checkMatrix("C", c, m, n, ldc)
	p := &problem{
		transB: true,
		m:      m, n: n, k: k,
		alpha: alpha, beta: beta,
		a: a, lda: lda, b16: b, ldb: ldb, c: c, ldc: ldc,
	}
	run(p, threads)
}

// words views the float32 packing buffer s as the 32-bit words of k-pairs.
func words(s []float32) []uint32 {
	return unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// packAPairs is packA for a bf16 kernel: rows [i0, i0+mc), columns
// [p0, p0+kc) of A rounded to bfloat16, as ceil(mc/mr) panels of
// ceil(kc/2)*mr words at offsets ir*kc (row by row if kern.rowsA).
func packAPairs(dst []float32, p *problem, i0, mc, p0, kc int, kern *kernel) {
	mr := kern.mr
	var buf [bf16MaxKC + 1]uint16
	row := buf[:kc+kc%2]
	np := (kc + 1) / 2
	var rows8 [8 * (bf16MaxKC/2 + 1)]float32 // 8 rounded rows of np words
	for ir := 0; ir < mc; ir += mr {
		rows := min(mr, mc-ir)
		if mr == 8 && rows == 8 && !kern.rowsA {
			// Round the 8 rows side by side, then interleave their words
			// as packA interleaves 8 float32 rows (a k-pair is one word):
			// 2-13% faster bf16 products than the word-by-word scatter
			// below (Zen 5, 2 threads, 2026-12-03). Only the amd64
			// AVX512_BF16 kernel has mr = 8, and there Go copies float32
			// values with plain moves, bit for bit.
			w := rows8[:8*np]
			for ii := 0; ii < 8; ii++ {
				bits := unsafe.Slice((*uint16)(unsafe.Pointer(&w[ii*np])), 2*np)
				off := (i0+ir+ii)*p.lda + p0
				half.F32ToBF16(bits[:kc], p.a[off:off+kc])
				if kc%2 == 1 {
					bits[kc] = 0
				}
			}
			packRows8(dst[ir*kc:ir*kc+8*np], w, 0, np, np)
			continue
		}
		panel := words(dst[ir*kc : ir*kc+mr*np])
		for ii := 0; ii < mr; ii++ {
			if kern.rowsA {
				r := panel[ii*np : ii*np+np]
				if ii >= rows {
					clear(r)
					continue
				}
				off := (i0+ir+ii)*p.lda + p0
				bits := unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(r))), 2*np)
				half.F32ToBF16(bits, p.a[off:off+kc])
				if kc%2 == 1 {
					bits[kc] = 0
				}
				continue
			}
			if ii >= rows {
				clearColumn(panel, mr, ii, np)
				continue
			}
			off := (i0+ir+ii)*p.lda + p0
			half.F32ToBF16(row, p.a[off:off+kc])
			if kc%2 == 1 {
				row[kc] = 0
			}
			for q := 0; q < np; q++ {
				panel[q*mr+ii] = uint32(row[2*q]) | uint32(row[2*q+1])<<16
			}
		}
	}
}

// packBPairs is packB for a bf16 kernel: panels [s0, s1) of columns
// [j0, j0+nc), rows [p0, p0+kc) of op(B) = B^T. A k-pair of a row of B is
// one little-endian 32-bit word of it, so full panels of an even kc are the
// float32 transposing copy of those words.
func packBPairs(dst []float32, p *problem, kern *kernel, j0, nc, p0, kc, s0, s1 int) {
	b, ldb, nr := p.b16, p.ldb, kern.nr
	np := (kc + 1) / 2
	for s := s0; s < s1; s++ {
		jr := s * nr
		cols := min(nr, nc-jr)
		off := (j0+jr)*ldb + p0
		if cols == nr && kc%2 == 0 && ldb%2 == 0 && kern.packT16 != nil &&
			uintptr(unsafe.Pointer(&b[off]))%4 == 0 {
			src := unsafe.Slice((*float32)(unsafe.Pointer(&b[off])), (len(b)-off)/2)
			transposeRows(dst[jr*kc:jr*kc+nr*np], src, ldb/2, np, kern)
			continue
		}
		panel := words(dst[jr*kc : jr*kc+nr*np])
		for jj := 0; jj < nr; jj++ {
			if jj >= cols {
				clearColumn(panel, nr, jj, np)
				continue
			}
			row := b[off+jj*ldb : off+jj*ldb+kc]
			for q := 0; q < np; q++ {
				w := uint32(row[2*q])
				if 2*q+1 < kc {
					w |= uint32(row[2*q+1]) << 16
				}
				panel[q*nr+jj] = w
			}
		}
	}
}

// clearColumn zeroes column c of the np steps of a panel of width w: the
// padding of an edge panel.
func clearColumn(panel []uint32, w, c, np int) {
	for q := 0; q < np; q++ {
		panel[q*w+c] = 0
	}
}

// microGoBF16_4x4 is kernel.micro for a bf16 kernel with mr = nr = 4 in
// plain Go; k counts pairs. Each pair adds hi*hi, then lo*lo, to the
// float32 sum, the order of VDPBF16PS (the products are exact).
func microGoBF16_4x4(k int, a, b, c *float32, ldc int, alpha, beta float32) {
	ap := unsafe.Slice((*uint32)(unsafe.Pointer(a)), 4*k)
	bp := unsafe.Slice((*uint32)(unsafe.Pointer(b)), 4*k)
	var acc [4][4]float32
	for q := 0; q < k; q++ {
		av := ap[4*q : 4*q+4 : 4*q+4]
		bv := bp[4*q : 4*q+4 : 4*q+4]
		for i, aw := range av {
			alo, ahi := bf16Lo(aw), bf16Hi(aw)
			for j, bw := range bv {
				s := acc[i][j] + ahi*bf16Hi(bw)
				acc[i][j] = s + alo*bf16Lo(bw)
			}
		}
	}
	cs := unsafe.Slice(c, 3*ldc+4)
	for i := range acc {
		storeRow4(cs[i*ldc:i*ldc+4:i*ldc+4], acc[i][0], acc[i][1], acc[i][2], acc[i][3], alpha, beta)
	}
}

// bf16Lo and bf16Hi widen the low and high bfloat16 of a k-pair word.
func bf16Lo(w uint32) float32 { return math.Float32frombits(w << 16) }
func bf16Hi(w uint32) float32 { return math.Float32frombits(w &^ 0xFFFF) }
