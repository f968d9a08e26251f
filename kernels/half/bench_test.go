package half

import (
	"math/rand/v2"
	"testing"

	"github.com/x448/float16"
)

// Benchmarks convert 4096 values per op (in L1/L2); ns/value = ns/op / 4096.

const benchN = 4096

func benchData() ([]float32, []uint16) {
	r := rand.New(rand.NewPCG(5, 6))
	f := make([]float32, benchN)
	h := make([]uint16, benchN)
	for i := range f {
		f[i] = float32(r.NormFloat64())
		h[i] = RoundF16(f[i])
	}
	return f, h
}

func BenchmarkPaths(b *testing.B) {
	f, h := benchData()
	d32 := make([]float32, benchN)
	d16 := make([]uint16, benchN)
	for _, p := range allPaths() {
		if p.f16ToF32 != nil {
			b.Run(p.name+"/F16ToF32", func(b *testing.B) {
				b.SetBytes(benchN * 2)
				for b.Loop() {
					p.f16ToF32(d32, h)
				}
			})
		}
		if p.f32ToF16 != nil {
			b.Run(p.name+"/F32ToF16", func(b *testing.B) {
				b.SetBytes(benchN * 4)
				for b.Loop() {
					p.f32ToF16(d16, f)
				}
			})
		}
		if p.bf16ToF32 != nil {
			b.Run(p.name+"/BF16ToF32", func(b *testing.B) {
				b.SetBytes(benchN * 2)
				for b.Loop() {
					p.bf16ToF32(d32, h)
				}
			})
		}
		if p.f32ToBF16 != nil {
			b.Run(p.name+"/F32ToBF16", func(b *testing.B) {
				b.SetBytes(benchN * 4)
				for b.Loop() {
					p.f32ToBF16(d16, f)
				}
			})
		}
	}
	b.Run("x448/F16ToF32", func(b *testing.B) {
		for b.Loop() {
			for i, v := range h {
				d32[i] = float16.Frombits(v).Float32()
			}
		}
	})
	b.Run("x448/F32ToF16", func(b *testing.B) {
		for b.Loop() {
			for i, v := range f {
				d16[i] = float16.Fromfloat32(v).Bits()
			}
		}
	})
}
