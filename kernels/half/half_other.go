//go:build !amd64 || purego

package half

func f16ToF32Arch([]float32, []uint16) bool  { return false }
func f32ToF16Arch([]uint16, []float32) bool  { return false }
func bf16ToF32Arch([]float32, []uint16) bool { return false }
func f32ToBF16Arch([]uint16, []float32) bool { return false }
