//go:build cuda

package cuda

import (
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
)

// llama1B is the benchmark model: a Llama of about 1.1B parameters
// (TinyLlama's shape without GQA).
var llama1B = model.Config{Arch: model.ArchLlama, Dim: 2048, HiddenDim: 5632, NLayers: 16, NHeads: 16,
	NKVHeads: 16, VocabSize: 32000, MaxSeqLen: 1024, NormEps: 1e-5, RopeTheta: 10000, BOS: -1, EOS: -1}

// forwardFLOPs counts one forward's multiply-adds x2 per token: the
// weight matmuls plus causal attention (q.k and p.v over (T+1)/2 keys on
// average), the PaLM-paper MFU convention.
func forwardFLOPs(c model.Config, T int) float64 {
	C, F, KV, V, L := float64(c.Dim), float64(c.HiddenDim), float64(c.KVDim()), float64(c.VocabSize), float64(c.NLayers)
	weights := L*(2*C*C+2*C*KV+3*C*F) + C*V
	attn := L * 2 * C * float64(T+1) / 2
	return 2 * (weights + attn)
}

// peakFLOPs is the device's dense bf16 peak: $DISTILL_PEAK_TFLOPS, else by
// name (H100/H200 SXM 989 TFLOP/s, A100 312), else 0 (MFU not reported).
func peakFLOPs(name string) float64 {
	if v, err := strconv.ParseFloat(os.Getenv("DISTILL_PEAK_TFLOPS"), 64); err == nil {
		return v * 1e12
	}
	switch {
	case strings.Contains(name, "H100"), strings.Contains(name, "H200"):
		return 989e12
	case strings.Contains(name, "A100"):
		return 312e12
	}
	return 0
}

// BenchmarkCUDATeacherForward: the 1B Llama, batch 8 x 1024, bf16 weights
// (F32 activations, as the model package keeps them), tokens/s and MFU.
// Layers share one random tensor per weight shape (same work as distinct
// weights, far less set-up). "split" is the default float32-accurate
// MatMul, "fast" FastMatMul.
func BenchmarkCUDATeacherForward(b *testing.B) {
	g := gpu(b)
	const B, T = 8, 1024
	cfg := llama1B
	rng := rand.New(rand.NewPCG(1, 2))
	byShape := map[string]kernels.Tensor{}
	tensors := map[string]kernels.Tensor{}
	for _, p := range cfg.Params() {
		key := strconv.Itoa(p.Shape[0])
		if len(p.Shape) > 1 {
			key += "x" + strconv.Itoa(p.Shape[1])
		}
		if _, ok := byShape[key]; !ok {
			x := make([]float32, p.Numel())
			for i := range x {
				x[i] = float32(rng.NormFloat64() * 0.02)
			}
			if len(p.Shape) == 1 {
				for i := range x {
					x[i] += 1
				}
			}
			byShape[key] = g.FromFloat32(kernels.BF16, x, p.Shape...)
		}
		tensors[p.Name] = byShape[key]
	}
	m, err := model.NewFromTensors(cfg, g, tensors)
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]int32, B*T)
	for i := range ids {
		ids[i] = int32(rng.IntN(cfg.VocabSize))
	}
	flops := forwardFLOPs(cfg, T) * B * T
	peak := peakFLOPs(g.info.name)
	for _, mode := range []string{"split", "fast"} {
		b.Run(mode, func(b *testing.B) {
			g.FastMatMul = mode == "fast"
			defer func() { g.FastMatMul = false }()
			m.Forward(ids, B, T, nil) // warm-up: JIT, cuBLAS heuristics, allocator
			g.Sync()
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				m.Forward(ids, B, T, nil)
			}
			g.Sync()
			sec := time.Since(start).Seconds() / float64(b.N)
			b.ReportMetric(float64(B*T)/sec, "tokens/s")
			b.ReportMetric(flops/sec/1e12, "TFLOP/s")
			if peak > 0 {
				b.ReportMetric(100*flops/sec/peak, "MFU%")
			}
		})
	}
}
