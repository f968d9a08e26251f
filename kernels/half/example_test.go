package half_test

import (
	"fmt"

	"github.com/distill-dev/distill/kernels/half"
)

func Example() {
	src := []float32{1, 0.1, 65504, 70000, -2.5e-8}
	h := make([]uint16, len(src))
	half.F32ToF16(h, src)
	back := make([]float32, len(src))
	half.F16ToF32(back, h)
	for i := range src {
		fmt.Printf("%g -> %#04x -> %g\n", src[i], h[i], back[i])
	}
	fmt.Printf("bf16(0.1) = %#04x -> %g\n", half.RoundBF16(0.1), half.WidenBF16(half.RoundBF16(0.1)))
	// Output:
	// 1 -> 0x3c00 -> 1
	// 0.1 -> 0x2e66 -> 0.099975586
	// 65504 -> 0x7bff -> 65504
	// 70000 -> 0x7c00 -> +Inf
	// -2.5e-08 -> 0x8000 -> -0
	// bf16(0.1) = 0x3dcd -> 0.100097656
}
