package model_test

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/internal/formattest"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
)

// benchConfig is the Llama config of ../shared/tools/torch_peer_bench.py:
// dim 768, 12 layers, 12 heads, FFN 2048, vocab 32000, untied head.
var benchConfig = model.Config{
	Arch: model.ArchLlama, Dim: 768, HiddenDim: 2048, NLayers: 12, NHeads: 12, NKVHeads: 12,
	VocabSize: 32000, MaxSeqLen: 256, NormEps: 1e-5, RopeTheta: 10000, BOS: 1, EOS: 2,
}

// randomModel uploads random F32 weights for cfg straight to b.
func randomModel(tb testing.TB, cfg model.Config, b kernels.Backend, seed uint64) *model.Model {
	tb.Helper()
	params := model.RandomParams(cfg, seed)
	ts := map[string]kernels.Tensor{}
	for _, p := range cfg.Params() {
		ts[p.Name] = b.FromFloat32(kernels.F32, params[p.Name], p.Shape...)
	}
	m, err := model.NewFromTensors(cfg, b, ts)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func benchForward(b *testing.B, m *model.Model, B, T int) {
	ids := make([]int32, B*T)
	for i := range ids {
		ids[i] = int32((i * 7919) % m.VocabSize())
	}
	m.Backend.Sync()
	m.Forward(ids, B, T, nil) // warm up: activation buffers, worker pool
	m.Backend.Sync()
	b.ResetTimer()
	for range b.N {
		m.Forward(ids, B, T, nil)
		m.Backend.Sync()
	}
	s := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(B*T)/s, "tok/s")
	b.ReportMetric(m.Config.ForwardFLOPs(B, T)/s/1e9, "GFLOP/s")
}

// BenchmarkTeacherForward is the teacher forward of the speed
// target: batch 4 x 256 of the 768-dim 12-layer Llama, F32 weights.
func BenchmarkTeacherForward(b *testing.B) {
	be := cpu.New(runtime.GOMAXPROCS(0))
	m := randomModel(b, benchConfig, be, 1)
	benchForward(b, m, 4, 256)
}

// BenchmarkTeacherForwardStacked is BenchmarkTeacherForward with the
// weights in a parameter block, as a trainer keeps them: q/k/v and
// gate/up run stacked (model/fuse.go), one MatMul per group.
func BenchmarkTeacherForwardStacked(b *testing.B) {
	be := cpu.New(runtime.GOMAXPROCS(0))
	p, err := model.AllocParams(benchConfig, be, kernels.F32)
	if err != nil {
		b.Fatal(err)
	}
	if err := p.Set(be, model.RandomParams(benchConfig, 1)); err != nil {
		b.Fatal(err)
	}
	m := p.Model(be)
	if m.W.Layers[0].QKV == nil || m.W.Layers[0].GateUp == nil {
		b.Fatal("projections not stacked")
	}
	benchForward(b, m, 4, 256)
}

// familyBenchConfigs are benchConfig's Llama beside a Llama-3.2-shaped
// model (4 key/value heads of 12, tied head, llama3 RoPE scaling) and a
// Qwen3-shaped one (12 heads of 128 over a 768-wide model, 4 key/value
// heads, q/k norms, tied head), their FFN widths chosen so that all three
// have the same parameter count (134.1M, within 0.1%).
var familyBenchConfigs = []struct {
	name string
	cfg  model.Config
}{
	{"llama", benchConfig},
	{"llama3.2-shaped", model.Config{Arch: model.ArchLlama, Dim: 768, HiddenDim: 3280, NLayers: 12, NHeads: 12, NKVHeads: 4,
		VocabSize: 32000, MaxSeqLen: 256, NormEps: 1e-5, RopeTheta: 500000, TiedEmbeddings: true, BOS: 1, EOS: 2,
		RopeScaling: model.RopeScaling{Kind: "llama3", Factor: 32, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxSeqLen: 8192}}},
	{"qwen3-shaped", model.Config{Arch: model.ArchQwen3, Dim: 768, HiddenDim: 2600, NLayers: 12, NHeads: 12, NKVHeads: 4,
		ExplicitHeadDim: 128, VocabSize: 32000, MaxSeqLen: 256, NormEps: 1e-6, RopeTheta: 1e6, RopeStyle: kernels.RoPEHalf,
		TiedEmbeddings: true, BOS: 1, EOS: 2}},
}

// BenchmarkFamilyForward is BenchmarkTeacherForward (batch 4 x 256, F32
// weights) for each family at the Llama benchmark's parameter count;
// GFLOP/s compares them at equal FLOPs (the Qwen3 shape's attention is
// twice as wide).
func BenchmarkFamilyForward(b *testing.B) {
	for _, fc := range familyBenchConfigs {
		b.Run(fc.name, func(b *testing.B) {
			be := cpu.New(runtime.GOMAXPROCS(0))
			m := randomModel(b, fc.cfg, be, 1)
			defer m.Free()
			benchForward(b, m, 4, 256)
		})
	}
}

// BenchmarkTeacherDecode measures KV-cached generation of the benchmark
// model: one token per Forward call, batch 1 (memory-bound matrix-vector
// products), over the first 64 positions.
func BenchmarkTeacherDecode(b *testing.B) {
	be := cpu.New(runtime.GOMAXPROCS(0))
	m := randomModel(b, benchConfig, be, 1)
	cache := m.NewKVCache(1, 64)
	id := []int32{1}
	b.ResetTimer()
	for i := range b.N {
		if i%64 == 0 {
			cache.Reset()
		}
		m.Forward(id, 1, 1, cache)
		be.Sync()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tok/s")
}

// BenchmarkStories260KForward runs stories260K (.bin) on the reference's 65
// tokens, batch 1, and on a batch of 4 x 256.
func BenchmarkStories260KForward(b *testing.B) {
	data := filepath.Join(formattest.SharedData(b), "stories260K")
	be := cpu.New(runtime.GOMAXPROCS(0))
	tt, err := checkpoint.Load(filepath.Join(data, "stories260K.bin"), be, checkpoint.LoadOptions{NoTokenizer: true})
	if err != nil {
		b.Fatal(err)
	}
	defer tt.Close()
	b.Run("1x65", func(b *testing.B) { benchForward(b, tt.Model, 1, 65) })
	b.Run("4x256", func(b *testing.B) { benchForward(b, tt.Model, 4, 256) })
}
