//go:build amd64 && !purego

package half

func archPaths() []path {
	var ps []path
	if hasF16C {
		ps = append(ps, path{name: "F16C", f16ToF32: f16ToF32Asm, f32ToF16: f32ToF16Asm})
	}
	if hasAVX2 {
		ps = append(ps, path{name: "AVX2", bf16ToF32: bf16ToF32Asm, f32ToBF16: f32ToBF16AVX2Asm})
	}
	if hasAVX512BF16 {
		ps = append(ps, path{name: "AVX512BF16", f32ToBF16: f32ToBF16AVX512Asm})
	}
	return ps
}
