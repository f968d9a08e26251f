package half

// F16ToF32 widens the len(src) binary16 values in src into dst[:len(src)].
// It panics when dst is shorter than src.
func F16ToF32(dst []float32, src []uint16) {
	checkLen("F16ToF32", len(dst), len(src))
	if !f16ToF32Arch(dst, src) {
		f16ToF32Generic(dst, src)
	}
}

// F32ToF16 rounds the len(src) values in src to binary16 (round to nearest
// even) into dst[:len(src)]. It panics when dst is shorter than src.
func F32ToF16(dst []uint16, src []float32) {
	checkLen("F32ToF16", len(dst), len(src))
	if !f32ToF16Arch(dst, src) {
		f32ToF16Generic(dst, src)
	}
}

// BF16ToF32 widens the len(src) bfloat16 values in src into dst[:len(src)].
// It panics when dst is shorter than src.
func BF16ToF32(dst []float32, src []uint16) {
	checkLen("BF16ToF32", len(dst), len(src))
	if !bf16ToF32Arch(dst, src) {
		bf16ToF32Generic(dst, src)
	}
}

// F32ToBF16 rounds the len(src) values in src to bfloat16 (round to nearest
// even, NaN kept NaN) into dst[:len(src)]. It panics when dst is shorter than
// src.
func F32ToBF16(dst []uint16, src []float32) {
	checkLen("F32ToBF16", len(dst), len(src))
	if !f32ToBF16Arch(dst, src) {
		f32ToBF16Generic(dst, src)
	}
}

func checkLen(fn string, nd, ns int) {
	if nd < ns {
		panic("half: " + fn + ": dst shorter than src")
	}
}

// The *Arch functions (per architecture) convert with the vector
// instructions the CPU has and report false when there are none. They are
// static calls rather than function variables so that callers' stack
// buffers do not escape to the heap.
