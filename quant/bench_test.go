package quant

import (
	"testing"
	"time"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
)

// BenchmarkForward measures tokens/s of a full forward (B=1, T=128,
// prefill-tok/s) and of 32 cached single-token steps (decode-tok/s) of a
// random Llama (dim 512, hidden 1536, 4 layers, vocabulary 4096) whose
// weights are stored by each method, and reports the weight storage
// (weight-MiB: what the backend holds for the weights; activations are the
// same for every method).
// Run: go test -run - -bench Forward ./quant/
func BenchmarkForward(b *testing.B) {
	cfg := model.Config{Arch: model.ArchLlama, Dim: 512, HiddenDim: 1536, NLayers: 4, NHeads: 8, NKVHeads: 8,
		VocabSize: 4096, MaxSeqLen: 256, NormEps: 1e-5, RopeTheta: 10000, TiedEmbeddings: false, BOS: 1, EOS: 2}
	be := cpu.New(0)
	src := model.EncodeParams("random", cfg, be, model.RandomParams(cfg, 3), kernels.F32)
	const T = 128
	ids := probeTokens(T, cfg.VocabSize)
	for _, name := range []string{"f32", "f16", "q8_0", "int8", "q4_0", "q4_k_m", "int4-g32", "int4-g128"} {
		b.Run(name, func(b *testing.B) {
			m, _ := ParseMethod(name)
			// Quantize everything (no kept embeddings), to compare storage types.
			_, qs, err := Apply(cfg, src, m, Options{Plan: PlanOptions{Keep: []string{}}})
			if err != nil {
				b.Fatal(err)
			}
			qm, err := model.New(cfg, be, qs)
			if err != nil {
				b.Fatal(err)
			}
			defer qm.Free()
			qs = nil
			qm.Forward(ids, 1, T, nil)
			b.ResetTimer()
			for b.Loop() {
				qm.Forward(ids, 1, T, nil)
			}
			prefill := b.Elapsed().Seconds()
			// Decoding: one token per step with a KV cache (GEMV, where
			// reading the weights dominates).
			cache := qm.NewKVCache(1, T)
			defer cache.Free()
			start := time.Now()
			for range b.N {
				cache.Reset()
				for _, id := range ids[:32] {
					qm.Forward([]int32{id}, 1, 1, cache)
				}
			}
			b.ReportMetric(float64(b.N*32)/time.Since(start).Seconds(), "decode-tok/s")
			b.ReportMetric(float64(b.N*T)/prefill, "prefill-tok/s")
			b.ReportMetric(float64(WeightBytes(cfg, SourceOf(qm)))/(1<<20), "weight-MiB")
		})
	}
}
