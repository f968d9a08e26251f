//go:build amd64 && !purego

package half

import "golang.org/x/sys/cpu"

// The assembly kernels convert n values, n a multiple of their vector width
// (8, or 16 for the AVX-512 ones); the Go wrappers below do the tails.

//go:noescape
func f16ToF32F16C(dst *float32, src *uint16, n int)

//go:noescape
func f32ToF16F16C(dst *uint16, src *float32, n int)

//go:noescape
func bf16ToF32AVX2(dst *float32, src *uint16, n int)

//go:noescape
func f32ToBF16AVX2(dst *uint16, src *float32, n int)

//go:noescape
func f32ToBF16AVX512BF16(dst *uint16, src *float32, n int)

var (
	hasF16C       = cpu.X86.HasAVX && cpu.X86.HasF16C
	hasAVX2       = cpu.X86.HasAVX2
	hasAVX512BF16 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512BF16
)

func f16ToF32Arch(dst []float32, src []uint16) bool {
	if !hasF16C {
		return false
	}
	f16ToF32Asm(dst, src)
	return true
}

func f32ToF16Arch(dst []uint16, src []float32) bool {
	if !hasF16C {
		return false
	}
	f32ToF16Asm(dst, src)
	return true
}

func bf16ToF32Arch(dst []float32, src []uint16) bool {
	if !hasAVX2 {
		return false
	}
	bf16ToF32Asm(dst, src)
	return true
}

func f32ToBF16Arch(dst []uint16, src []float32) bool {
	switch {
	case hasAVX512BF16:
		f32ToBF16AVX512Asm(dst, src)
	case hasAVX2:
		f32ToBF16AVX2Asm(dst, src)
	default:
		return false
	}
	return true
}

func f16ToF32Asm(dst []float32, src []uint16) {
	n := len(src) &^ 7
	if n > 0 {
		f16ToF32F16C(&dst[0], &src[0], n)
	}
	f16ToF32Generic(dst[n:], src[n:])
}

func f32ToF16Asm(dst []uint16, src []float32) {
	n := len(src) &^ 7
	if n > 0 {
		f32ToF16F16C(&dst[0], &src[0], n)
	}
	f32ToF16Generic(dst[n:], src[n:])
}

func bf16ToF32Asm(dst []float32, src []uint16) {
	n := len(src) &^ 7
	if n > 0 {
		bf16ToF32AVX2(&dst[0], &src[0], n)
	}
	bf16ToF32Generic(dst[n:], src[n:])
}

func f32ToBF16AVX2Asm(dst []uint16, src []float32) {
	n := len(src) &^ 7
	if n > 0 {
		f32ToBF16AVX2(&dst[0], &src[0], n)
	}
	f32ToBF16Generic(dst[n:], src[n:])
}

func f32ToBF16AVX512Asm(dst []uint16, src []float32) {
	n := len(src) &^ 15
	if n > 0 {
		f32ToBF16AVX512BF16(&dst[0], &src[0], n)
	}
	f32ToBF16Generic(dst[n:], src[n:])
}
