package gemm

import "golang.org/x/sys/cpu"

//go:generate go run gen_amd64.go

// The amd64 micro-kernels, written by gen_amd64.go into kernel_amd64.s.
var (
	// avx512Kernel: the 128 KiB A block (mc x kc) sits in L2, the 32 KiB
	// B micro-panel (kc x nr) it meets in L1 (48 KiB on Sapphire Rapids
	// and Zen 5), the B block (kc x nc, 1.5 MiB) in L3. On one Zen 5 core
	// (2026-12-02, GFLOP per CPU-second of 1024^3 and the model shapes)
	// kc = 256 ran 3-7% faster than kc = 512 (whose 64 KiB micro-panel
	// spills from L1); on Sapphire Rapids kc from 384 to 768 had measured
	// about 5% faster than kc = mc = 256, and mc = 128 was not tried with
	// kc = 256 there. nc = 1536 rather than 4096: at 2 threads, where
	// both cores stream every panel of the B block once per A block, the
	// smaller block ran the wide products 1.5-5% faster (logits 3.5-5.4%,
	// FFN up 1.5-3.6%, 2026-12-03, calls alternated in one process), and
	// anything from 768 to 1536 alike; at one thread it changed nothing
	// measurable (0-2%). kc = 320 or 384 changed nothing either.
	avx512Kernel = &kernel{
		name: "avx512-8x32",
		mr:   8, nr: 32,
		mc: 128, kc: 256, nc: 1536,
		micro:    microAVX512_8x32,
		packT16:  packT32AVX512,
		packA16:  packA8x2AVX512,
		packAT16: packATAVX512,
		copyNR:   copy32AVX512,
		dot4:     dot4AVX512,
	}
	// avx2Kernel: 12 of the 16 ymm registers hold the 6x16 tile.
	avx2Kernel = &kernel{
		name: "avx2-6x16",
		mr:   6, nr: 16,
		mc: 120, kc: 512, nc: 4096,
		micro:   microAVX2_6x16,
		packT16: packT16AVX2,
		dot4:    dot4AVX2,
	}
)

// avx512BF16Kernel multiplies k-pairs of bfloat16 with VDPBF16PS (bf16.go):
// the same 8x32 tile and the same bytes per block as avx512Kernel (kc
// counts bfloat16 values, two per 32-bit word).
var avx512BF16Kernel = &kernel{
	name: "avx512bf16-8x32",
	mr:   8, nr: 32,
	mc: 128, kc: 1024, nc: 4096,
	pairs:   true,
	micro:   microAVX512BF16_8x32,
	packT16: packT32AVX512,
}

// availableBF16Kernels lists the bf16 micro-kernels this CPU can run, best
// first.
func availableBF16Kernels() []*kernel {
	var ks []*kernel
	if hasAMXBF16() {
		ks = append(ks, amxBF16Kernel)
	}
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512BF16 {
		ks = append(ks, avx512BF16Kernel)
	}
	return append(ks, goBF16Kernel)
}

// availableKernels lists the micro-kernels this CPU can run, best first.
func availableKernels() []*kernel {
	var ks []*kernel
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL {
		ks = append(ks, avx512Kernel)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, avx2Kernel)
	}
	return append(ks, goKernel)
}
