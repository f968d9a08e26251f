package gemm

import "golang.org/x/sys/cpu"

//go:generate go run gen_amd64.go

// The amd64 micro-kernels, written by gen_amd64.go into kernel_amd64.s.
var (
	avx512Kernels = []*kernel{
		{name: "avx512-8x32", mr: 8, nr: 32, mc: 256, kc: 256, nc: 4096, micro: microAVX512_8x32, packT16: packT32AVX512, dot4: dot4AVX512},
		{name: "avx512-8x32-pa512", mr: 8, nr: 32, mc: 256, kc: 256, nc: 4096, micro: microAVX512_8x32_pa512, packT16: packT32AVX512, dot4: dot4AVX512},
		{name: "avx512-8x32-pa1024", mr: 8, nr: 32, mc: 256, kc: 256, nc: 4096, micro: microAVX512_8x32_pa1024, packT16: packT32AVX512, dot4: dot4AVX512},
		{name: "avx512-8x32-pa1024b2048", mr: 8, nr: 32, mc: 256, kc: 256, nc: 4096, micro: microAVX512_8x32_pa1024b2048, packT16: packT32AVX512, dot4: dot4AVX512},
		{name: "avx512-8x32-u8pa1024", mr: 8, nr: 32, mc: 256, kc: 256, nc: 4096, micro: microAVX512_8x32_u8pa1024, packT16: packT32AVX512, dot4: dot4AVX512},
		{name: "avx512-12x32", mr: 12, nr: 32, mc: 240, kc: 256, nc: 4096, micro: microAVX512_12x32, packT16: packT32AVX512, dot4: dot4AVX512},
		{name: "avx512-14x32", mr: 14, nr: 32, mc: 252, kc: 256, nc: 4096, micro: microAVX512_14x32, packT16: packT32AVX512, dot4: dot4AVX512},
		{name: "avx512-6x64", mr: 6, nr: 64, mc: 240, kc: 128, nc: 4096, micro: microAVX512_6x64, packT16: packT64AVX512, dot4: dot4AVX512},
	}
	avx2Kernel = &kernel{name: "avx2-6x16", mr: 6, nr: 16, mc: 240, kc: 256, nc: 4096, micro: microAVX2_6x16, dot4: dot4AVX2}
)

// availableKernels lists the micro-kernels this CPU can run, best first.
func availableKernels() []*kernel {
	var ks []*kernel
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL {
		ks = append(ks, avx512Kernels...)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, avx2Kernel)
	}
	return append(ks, goKernel)
}
