package cpu_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/distill-dev/distill/internal/cputime"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/kernels/qblock"
)

// Teacher shapes (issue 2): dim 768, 12 heads of 64, FFN 2048, batch 4 x 256.
const (
	benchB, benchT, benchH, benchHD = 4, 256, 12, 64
	benchC, benchFFN                = benchH * benchHD, 2048
)

func randTensor(b kernels.Backend, dt kernels.DType, shape ...int) kernels.Tensor {
	n := 1
	for _, s := range shape {
		n *= s
	}
	rng := rand.New(rand.NewPCG(uint64(n), 1))
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return b.FromFloat32(dt, v, shape...)
}

// attnFlops is the multiply-add work of causal attention: each of the
// T(T+1)/2 (query, key) pairs per head costs 2*hd flops per hd-long product.
func attnFlops(products int) float64 {
	return float64(products) * 2 * benchHD * float64(benchB*benchH) * float64(benchT*(benchT+1)/2)
}

func reportGFLOPs(b *testing.B, flops float64) {
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func reportGBs(b *testing.B, bytes float64) {
	b.SetBytes(int64(bytes))
}

func benchAttention(b *testing.B, dt kernels.DType, backward bool) {
	be := cpu.New(0)
	q := randTensor(be, dt, benchB, benchT, benchC)
	k := randTensor(be, dt, benchB, benchT, benchC)
	v := randTensor(be, dt, benchB, benchT, benchC)
	out := be.Zeros(dt, benchB, benchT, benchC)
	lse := be.Zeros(kernels.F32, benchB, benchH, benchT)
	p := kernels.AttentionParams{NHeads: benchH, NKVHeads: benchH, HeadDim: benchHD, Scale: float32(1 / math.Sqrt(benchHD))}
	be.Attention(out, lse, q, k, v, p)
	dq, dk, dv := be.Zeros(dt, benchB, benchT, benchC), be.Zeros(dt, benchB, benchT, benchC), be.Zeros(dt, benchB, benchT, benchC)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if backward {
			be.AttentionBackward(dq, dk, dv, out, q, k, v, out, lse, p)
		} else {
			be.Attention(out, lse, q, k, v, p)
		}
	}
	if backward {
		reportGFLOPs(b, attnFlops(5)) // S, dP, dV, dQ, dK
	} else {
		reportGFLOPs(b, attnFlops(2)) // S, PV
	}
}

func BenchmarkAttentionForward(b *testing.B)      { benchAttention(b, kernels.F32, false) }
func BenchmarkAttentionBackward(b *testing.B)     { benchAttention(b, kernels.F32, true) }
func BenchmarkAttentionForwardBF16(b *testing.B)  { benchAttention(b, kernels.BF16, false) }
func BenchmarkAttentionBackwardBF16(b *testing.B) { benchAttention(b, kernels.BF16, true) }

func benchRMSNorm(b *testing.B, dt kernels.DType) {
	be := cpu.New(0)
	n := benchB * benchT
	x := randTensor(be, dt, n, benchC)
	w := randTensor(be, dt, benchC)
	out := be.Zeros(dt, n, benchC)
	rstd := be.Zeros(kernels.F32, n)
	reportGBs(b, float64(2*n*benchC*elemBytes(dt)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		be.RMSNorm(out, rstd, x, w, 1e-5)
	}
}

func BenchmarkRMSNorm(b *testing.B)     { benchRMSNorm(b, kernels.F32) }
func BenchmarkRMSNormBF16(b *testing.B) { benchRMSNorm(b, kernels.BF16) }

func BenchmarkRMSNormBackward(b *testing.B) {
	be := cpu.New(0)
	n := benchB * benchT
	x := randTensor(be, kernels.F32, n, benchC)
	w := randTensor(be, kernels.F32, benchC)
	out := be.Zeros(kernels.F32, n, benchC)
	rstd := be.Zeros(kernels.F32, n)
	be.RMSNorm(out, rstd, x, w, 1e-5)
	dx, dw := be.Zeros(kernels.F32, n, benchC), be.Zeros(kernels.F32, benchC)
	reportGBs(b, float64(4*n*benchC*4)) // read x, dout, dx; write dx
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		be.RMSNormBackward(dx, dw, out, x, w, rstd)
	}
}

func elemBytes(dt kernels.DType) int {
	if dt == kernels.F32 {
		return 4
	}
	return 2
}

func benchSwiGLU(b *testing.B, dt kernels.DType) {
	be := cpu.New(0)
	n := benchB * benchT
	g := randTensor(be, dt, n, benchFFN)
	u := randTensor(be, dt, n, benchFFN)
	out := be.Zeros(dt, n, benchFFN)
	reportGBs(b, float64(3*n*benchFFN*elemBytes(dt)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		be.SwiGLU(out, g, u)
	}
}

func BenchmarkSwiGLU(b *testing.B)     { benchSwiGLU(b, kernels.F32) }
func BenchmarkSwiGLUBF16(b *testing.B) { benchSwiGLU(b, kernels.BF16) }

func BenchmarkSwiGLUBackward(b *testing.B) {
	be := cpu.New(0)
	n := benchB * benchT
	g := randTensor(be, kernels.F32, n, benchFFN)
	u := randTensor(be, kernels.F32, n, benchFFN)
	dg, du := be.Zeros(kernels.F32, n, benchFFN), be.Zeros(kernels.F32, n, benchFFN)
	reportGBs(b, float64(7*n*benchFFN*4))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		be.SwiGLUBackward(dg, du, g, g, u)
	}
}

// BenchmarkCrossEntropy is the loss over a [1024, 32000] logits tensor.
func BenchmarkCrossEntropy(b *testing.B) {
	be := cpu.New(0)
	n, v := benchB*benchT, 32000
	x := randTensor(be, kernels.F32, n, v)
	losses := be.Zeros(kernels.F32, n)
	targets := make([]int32, n)
	reportGBs(b, float64(n*v*4))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		be.CrossEntropy(losses, x, targets)
	}
}

// BenchmarkMatMulBF16Weights is a [1024, 768] x [2048, 768]^T projection with
// bfloat16 weights (decoded inside gemm).
func BenchmarkMatMulBF16Weights(b *testing.B) {
	be := cpu.New(0)
	n := benchB * benchT
	x := randTensor(be, kernels.F32, n, benchC)
	w := randTensor(be, kernels.BF16, benchFFN, benchC)
	out := be.Zeros(kernels.F32, n, benchFFN)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		be.MatMul(out, x, w, false, true, 1, 0)
	}
	reportGFLOPs(b, 2*float64(n)*benchFFN*benchC)
}

// BenchmarkMatMulQ is x [m, 1024] times block-typed weights [2816, 1024]^T
// (an FFN projection of the ~100M-parameter side-by-side model) for m = 1
// (generation), 16 and 128 (prompt processing) on the backend's default
// threads, per path: "panels" the repacked weights (qblock.PanelDot: Q8_0,
// Q4_0, Q4_K, Q5_K, Q6_K), "onerow" one-row integer dot products (qblock.IntDot
// per pair of rows), "float" the rows decoded inside gemm.
func BenchmarkMatMulQ(b *testing.B) {
	const n, k = 2816, 1024
	be := cpu.New(0)
	for _, dt := range []kernels.DType{kernels.Q4_0, kernels.Q8_0, kernels.Q4_K, kernels.Q5_K, kernels.Q6_K} {
		w := randTensor(be, dt, n, k)
		for _, m := range benchMs {
			x := randTensor(be, kernels.F32, m, k)
			out := be.Zeros(kernels.F32, m, n)
			for _, path := range []string{"panels", "onerow", "float"} {
				if path == "panels" && !qblock.PanelKernel(dt) {
					continue
				}
				b.Run(fmt.Sprintf("%s/m=%d/%s", dt, m, path), func(b *testing.B) {
					maxRows, minRows := m, 1<<30 // onerow
					switch path {
					case "panels":
						maxRows, minRows = 0, 1
					case "float":
						maxRows = 0
					}
					defer cpu.SetIntDotMaxRows(cpu.SetIntDotMaxRows(maxRows))
					defer cpu.SetIntRowsMinRows(cpu.SetIntRowsMinRows(minRows))
					defer cpu.SetIntRowsMinK(0)()
					be.MatMul(out, x, w, false, true, 1, 0) // warm-up: the panels are packed on first use
					c0 := cputime.Process()
					for b.Loop() {
						be.MatMul(out, x, w, false, true, 1, 0)
					}
					b.ReportMetric(float64(m)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
					if c1 := cputime.Process(); c0 > 0 {
						b.ReportMetric(float64((c1-c0).Microseconds())/float64(b.N)/float64(m), "cpu-us/row")
					}
				})
			}
		}
	}
}

var benchMs = []int{1, 16, 128}
