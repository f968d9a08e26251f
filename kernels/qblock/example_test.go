package qblock_test

import (
	"fmt"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/qblock"
)

func Example() {
	x := make([]float32, 32)
	for i := range x {
		x[i] = float32(i-16) / 4
	}
	n, _ := kernels.Q8_0.RowBytes(len(x))
	b := make([]byte, n) // 34 bytes: f16 scale + 32 int8
	qblock.EncodeRow(kernels.Q8_0, b, x)
	y := make([]float32, len(x))
	qblock.DecodeRow(kernels.Q8_0, y, b)
	fmt.Printf("%d bytes, scale bytes % x, x[1] = %g -> %g\n", n, b[:2], x[1], y[1])

	ones := make([]float32, 32)
	for i := range ones {
		ones[i] = 1
	}
	fmt.Printf("sum of decoded row: %.4f\n", qblock.DotRow(kernels.Q8_0, ones, b))
	// Output:
	// 34 bytes, scale bytes 08 28, x[1] = -3.75 -> -3.7478027
	// sum of decoded row: -3.9998
}
