package qblock

import (
	"testing"

	"github.com/distill-dev/distill/kernels"
)

// Benchmarks work on a 4096-element row (fits in L1/L2). Divide ns/op by
// 4096 for ns/element; for Q4_K/Q6_K multiply that by 256 for ns/block.

const benchN = 4096

func BenchmarkDecode(b *testing.B) {
	x := testRow(60, benchN)
	y := make([]float32, benchN)
	for _, dt := range blockTypes {
		src := encode(dt, x)
		b.Run(dt.String(), func(b *testing.B) {
			b.SetBytes(benchN * 4)
			for b.Loop() {
				DecodeRow(dt, y, src)
			}
		})
	}
}

func BenchmarkDotRow(b *testing.B) {
	x := testRow(61, benchN)
	w := testRow(62, benchN)
	for _, dt := range blockTypes {
		src := encode(dt, w)
		b.Run(dt.String(), func(b *testing.B) {
			for b.Loop() {
				DotRow(dt, x, src)
			}
		})
	}
}

func BenchmarkEncode(b *testing.B) {
	x := testRow(63, benchN)
	for _, dt := range blockTypes {
		dst := encode(dt, x)
		b.Run(dt.String(), func(b *testing.B) {
			for b.Loop() {
				EncodeRow(dt, dst, x)
			}
		})
	}
	for _, dt := range []kernels.DType{kernels.Q4_K, kernels.Q6_K} {
		dst := encode(dt, x)
		w := goldenWeights(x)
		b.Run(dt.String()+"_weighted", func(b *testing.B) {
			for b.Loop() {
				EncodeRowWeighted(dt, dst, x, w)
			}
		})
	}
}
