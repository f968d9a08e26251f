//go:build cuda

package cuda

import (
	"fmt"
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

// forwardFLOPs is model.Config.ForwardFLOPs per token of one sequence of
// T: the weight matmuls plus causal attention, the PaLM-paper MFU
// convention.
func forwardFLOPs(c model.Config, T int) float64 { return c.ForwardFLOPs(1, T) / float64(T) }

// benchConfig is llama1B, or with DISTILL_CUDA_BENCH_SMALL=1 a small
// Llama, so that the emulator can run the benchmarks' code once.
func benchConfig() (cfg model.Config, B, T int) {
	if os.Getenv("DISTILL_CUDA_BENCH_SMALL") == "1" {
		return model.Config{Arch: model.ArchLlama, Dim: 64, HiddenDim: 128, NLayers: 1, NHeads: 4, NKVHeads: 2,
			VocabSize: 96, MaxSeqLen: 32, NormEps: 1e-5, RopeTheta: 10000, BOS: -1, EOS: -1}, 2, 16
	}
	return llama1B, 8, 1024
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

// peakBandwidth is the device's memory bandwidth in bytes/s:
// $DISTILL_PEAK_GBPS, else by name (H200 4.8 TB/s, H100 SXM 3.35, A100
// 2.0), else 0.
func peakBandwidth(name string) float64 {
	if v, err := strconv.ParseFloat(os.Getenv("DISTILL_PEAK_GBPS"), 64); err == nil {
		return v * 1e9
	}
	switch {
	case strings.Contains(name, "H200"):
		return 4.8e12
	case strings.Contains(name, "H100"):
		return 3.35e12
	case strings.Contains(name, "A100"):
		return 2.0e12
	}
	return 0
}

// roofline logs the time one step cannot beat on this device: its FLOPs at
// the bf16 peak, or its unavoidable memory traffic (bytes) at full
// bandwidth, whichever is longer, and the tokens/s that would give; a
// measurement is judged by its ratio to that bound.
func roofline(b *testing.B, what, device string, flops, bytes float64, tokens int) {
	peak, bw := peakFLOPs(device), peakBandwidth(device)
	if peak == 0 || bw == 0 {
		b.Logf("%s roofline: unknown device %q (set DISTILL_PEAK_TFLOPS and DISTILL_PEAK_GBPS)", what, device)
		return
	}
	tc, tm := flops/peak, bytes/bw
	bound := "compute"
	if tm > tc {
		bound = "memory"
	}
	b.Logf("%s roofline: %.3g FLOP in %.3g ms at %.0f TFLOP/s, %.3g B in %.3g ms at %.0f GB/s: %s-bound, at most %.0f tokens/s",
		what, flops, 1e3*tc, peak/1e12, bytes, 1e3*tm, bw/1e9, bound, float64(tokens)/max(tc, tm))
}

// report adds tokens/s, TFLOP/s and MFU (against the bf16 peak) for a step
// of flops over tokens taking sec.
func report(b *testing.B, device string, flops float64, tokens int, sec float64) {
	b.ReportMetric(float64(tokens)/sec, "tokens/s")
	b.ReportMetric(flops/sec/1e12, "TFLOP/s")
	if peak := peakFLOPs(device); peak > 0 {
		b.ReportMetric(100*flops/sec/peak, "MFU%")
	}
}

// sharedSource is a model.TensorSource of random bf16 weights for a
// config in which the tensors of one shape share one array (the same work
// as distinct weights, far less set-up); vectors (norms) are near 1.
type sharedSource struct {
	g       *Backend
	rng     *rand.Rand
	shapes  map[string][]int // by tensor name
	byShape map[string]model.HostTensor
}

func newSharedSource(g *Backend, cfg model.Config, seed uint64) *sharedSource {
	s := &sharedSource{g: g, rng: rand.New(rand.NewPCG(seed, 2)), shapes: map[string][]int{}, byShape: map[string]model.HostTensor{}}
	for _, p := range cfg.Params() {
		s.shapes[p.Name] = p.Shape
	}
	return s
}

func (s *sharedSource) Where() string { return "random bf16 weights" }

func (s *sharedSource) Lookup(name string) (model.HostTensor, bool) {
	shape, ok := s.shapes[name]
	if !ok {
		return model.HostTensor{}, false
	}
	key := fmt.Sprint(shape)
	if h, ok := s.byShape[key]; ok {
		h.Name = name
		return h, true
	}
	x := make([]float32, kernels.ShapeNumel(shape))
	for i := range x {
		x[i] = float32(s.rng.NormFloat64() * 0.02)
		if len(shape) == 1 {
			x[i]++
		}
	}
	t := s.g.FromFloat32(kernels.BF16, x, shape...)
	h := model.HostTensor{Name: name, DType: kernels.BF16, Shape: shape, Data: s.g.ReadBytes(t)}
	s.g.Free(t)
	s.byShape[key] = h
	return h, true
}

// separate is the backend without kernels.WeightStacker: model.New keeps
// q/k/v and gate/up apart on it (one MatMul per weight).
type separate struct{ kernels.Backend }

// BenchmarkCUDATeacherForward: the 1B Llama, batch 8 x 1024, bf16 weights
// (F32 activations, as the model package keeps them), tokens/s and MFU.
// The model is loaded by model.New, as a teacher is: "stacked" runs q/k/v
// and gate/up as one MatMul per group (model/fuse.go), "separate" one per
// weight, for comparison. "split" is the default float32-accurate
// MatMul, "fast" FastMatMul.
func BenchmarkCUDATeacherForward(b *testing.B) {
	g := gpu(b)
	cfg, B, T := benchConfig()
	rng := rand.New(rand.NewPCG(1, 2))
	ids := make([]int32, B*T)
	for i := range ids {
		ids[i] = int32(rng.IntN(cfg.VocabSize))
	}
	flops := forwardFLOPs(cfg, T) * float64(B*T)
	for _, layout := range []string{"stacked", "separate"} {
		var be kernels.Backend = g
		if layout == "separate" {
			be = separate{g}
		}
		m, err := model.New(cfg, be, newSharedSource(g, cfg, 1))
		if err != nil {
			b.Fatal(err)
		}
		if stacked := m.W.Layers[0].QKV != nil && m.W.Layers[0].GateUp != nil; stacked != (layout == "stacked") {
			b.Fatalf("%s: QKV %v, GateUp %v", layout, m.W.Layers[0].QKV, m.W.Layers[0].GateUp)
		}
		for _, mode := range []string{"split", "fast"} {
			b.Run(layout+"/"+mode, func(b *testing.B) {
				// Unavoidable traffic: the bf16 weights once, the F32 logits written once.
				roofline(b, "forward", g.info.name, flops, 2*float64(cfg.NumParams())+4*float64(B*T*cfg.VocabSize), B*T)
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
				report(b, g.info.name, flops, B*T, time.Since(start).Seconds()/float64(b.N))
			})
		}
		m.Free()
	}
}

// BenchmarkCUDAKDStep: one student KD training step of the 1B Llama (F32
// parameters and gradients), batch 4 x 512: ForwardTrain, top-64 DistillLoss
// with dlogits aliasing the logits, Backward. FLOPs are 3x the forward's
// (forward, then input and weight gradients); MFU is against the bf16
// peak, which F32 GEMMs cannot reach, so it shows the headroom a
// half-precision training path would have.
func BenchmarkCUDAKDStep(b *testing.B) {
	g := gpu(b)
	cfg, B, T := benchConfig()
	B, T = max(1, B/2), max(8, T/2)
	const K = 64
	p, err := model.AllocParams(cfg, g, kernels.F32)
	if err != nil {
		b.Fatal(err)
	}
	g.Fill(p.Flat, 0.02) // timing only: constant weights do the same work
	gr, err := model.AllocParams(cfg, g, kernels.F32)
	if err != nil {
		b.Fatal(err)
	}
	N, V := B*T, cfg.VocabSize
	rng := rand.New(rand.NewPCG(3, 4))
	ids, targets := make([]int32, N), make([]int32, N)
	for i := range ids {
		ids[i], targets[i] = int32(rng.IntN(V)), int32(rng.IntN(V))
	}
	tl := make([]float32, N*V)
	for i := range tl {
		tl[i] = float32(rng.NormFloat64())
	}
	k := min(K, V)
	soft := kernels.SoftLabels{IDs: g.Zeros(kernels.I32, N, k), LogProbs: g.Zeros(kernels.F32, N, k)}
	g.TopKLogProbs(soft.IDs, soft.LogProbs, g.FromFloat32(kernels.F32, tl, N, V), k, 2)
	lp := kernels.LossParams{Divergence: kernels.ForwardKL, Temperature: 2, Alpha: 0.5, Scale: 1 / float32(N)}
	losses := g.Zeros(kernels.F32, N)
	flops := 3 * forwardFLOPs(cfg, T) * float64(N)
	// "stacked" is the trainer's student (q/k/v and gate/up as views of the
	// parameter block, one MatMul per group forward), "separate" the same
	// weights one MatMul each.
	separate, err := model.NewFromTensors(cfg, g, p.Views)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		m    *model.Model
	}{{"stacked", p.Model(g)}, {"separate", separate}} {
		b.Run(c.name, func(b *testing.B) {
			step := func() {
				var st model.TrainState
				logits := c.m.ForwardTrain(&st, ids, B, T)
				g.DistillLoss(losses, logits, logits, soft, targets, lp)
				c.m.Backward(&st, logits, &gr.W)
				st.Free()
			}
			// Unavoidable traffic: parameters read twice and gradients written once (F32).
			roofline(b, "KD step", g.info.name, flops, 12*float64(cfg.NumParams()), N)
			step() // warm-up
			g.Sync()
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				step()
			}
			g.Sync()
			report(b, g.info.name, flops, N, time.Since(start).Seconds()/float64(b.N))
		})
	}
}
