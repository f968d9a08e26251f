package model

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/kernels/qblock"
)

// testConfigs are tiny configs covering every code path: GQA and MQA,
// untied classifier, both RoPE styles, odd dimensions, GPT-2.
var testConfigs = []struct {
	name string
	cfg  Config
}{
	{"llama-gqa-tied", Config{Arch: ArchLlama, Dim: 16, HiddenDim: 40, NLayers: 2, NHeads: 4, NKVHeads: 2,
		VocabSize: 37, MaxSeqLen: 16, NormEps: 1e-5, RopeTheta: 10000, TiedEmbeddings: true, BOS: 1, EOS: 2}},
	{"llama-mqa-untied-half-odd", Config{Arch: ArchLlama, Dim: 30, HiddenDim: 27, NLayers: 3, NHeads: 3, NKVHeads: 1,
		VocabSize: 23, MaxSeqLen: 12, NormEps: 1e-6, RopeTheta: 500, RopeStyle: kernels.RoPEHalf, BOS: -1, EOS: -1}},
	{"llama-mha", Config{Arch: ArchLlama, Dim: 24, HiddenDim: 64, NLayers: 1, NHeads: 2, NKVHeads: 2,
		VocabSize: 50, MaxSeqLen: 10, NormEps: 1e-5, RopeTheta: 10000, TiedEmbeddings: true, BOS: 1, EOS: 2}},
	{"gpt2", Config{Arch: ArchGPT2, Dim: 24, HiddenDim: 52, NLayers: 2, NHeads: 3, NKVHeads: 3,
		VocabSize: 41, MaxSeqLen: 16, NormEps: 1e-5, TiedEmbeddings: true, BOS: 40, EOS: 40}},
	{"gpt2-odd", Config{Arch: ArchGPT2, Dim: 15, HiddenDim: 33, NLayers: 1, NHeads: 5, NKVHeads: 5,
		VocabSize: 19, MaxSeqLen: 9, NormEps: 1e-5, TiedEmbeddings: true, BOS: -1, EOS: -1}},
	// Issue 11's families, small: Llama 3 (llama3 RoPE scaling with a
	// short original context so that all three bands occur, explicit
	// head_dim), linear scaling, Qwen2 (q/k/v biases), Qwen3 (q/k norms,
	// head_dim wider than dim/heads), Mistral (a window shorter than the
	// sequence).
	{"llama3-scaled-headdim", Config{Arch: ArchLlama, Dim: 16, HiddenDim: 24, NLayers: 2, NHeads: 2, NKVHeads: 1,
		VocabSize: 29, MaxSeqLen: 16, NormEps: 1e-5, RopeTheta: 500000, TiedEmbeddings: true, ExplicitHeadDim: 12,
		RopeScaling: RopeScaling{Kind: "llama3", Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxSeqLen: 64}, BOS: 1, EOS: 2}},
	{"llama-linear", Config{Arch: ArchLlama, Dim: 16, HiddenDim: 20, NLayers: 1, NHeads: 2, NKVHeads: 2,
		VocabSize: 21, MaxSeqLen: 12, NormEps: 1e-5, RopeTheta: 10000, RopeStyle: kernels.RoPEHalf,
		RopeScaling: RopeScaling{Kind: "linear", Factor: 4}, BOS: -1, EOS: -1}},
	{"qwen2-untied", Config{Arch: ArchQwen2, Dim: 16, HiddenDim: 28, NLayers: 2, NHeads: 4, NKVHeads: 2,
		VocabSize: 31, MaxSeqLen: 12, NormEps: 1e-6, RopeTheta: 1e6, RopeStyle: kernels.RoPEHalf, BOS: -1, EOS: 3}},
	{"qwen3-headdim", Config{Arch: ArchQwen3, Dim: 16, HiddenDim: 24, NLayers: 2, NHeads: 4, NKVHeads: 2,
		VocabSize: 27, MaxSeqLen: 12, NormEps: 1e-6, RopeTheta: 1e6, RopeStyle: kernels.RoPEHalf, TiedEmbeddings: true,
		ExplicitHeadDim: 8, BOS: -1, EOS: 3}},
	{"mistral-window", Config{Arch: ArchMistral, Dim: 16, HiddenDim: 24, NLayers: 2, NHeads: 4, NKVHeads: 1,
		VocabSize: 25, MaxSeqLen: 12, NormEps: 1e-5, RopeTheta: 10000, SlidingWindow: 3, BOS: 1, EOS: 2}},
}

func testBackend() kernels.Backend { return cpu.New(2) }

// randomIDs returns n deterministic ids in [0, V).
func randomIDs(n, V int, seed int) []int32 {
	ids := make([]int32, n)
	for i := range ids {
		ids[i] = int32((i*7 + seed*13 + i*i*3) % V)
	}
	return ids
}

// newTestModel builds a random model stored in dt and the float64
// reference holding the same (rounded) weights.
func newTestModel(t testing.TB, cfg Config, b kernels.Backend, dt kernels.DType, seed uint64) (*Model, *refModel) {
	t.Helper()
	params := RandomParams(cfg, seed)
	src := EncodeParams("random", cfg, b, params, dt)
	m, err := New(cfg, b, src)
	if err != nil {
		t.Fatal(err)
	}
	ref := &refModel{cfg: cfg, w: map[string][]float64{}}
	for _, p := range cfg.Params() {
		h := src.Tensors[p.Name]
		vals := b.ToFloat32(b.FromBytes(h.DType, h.Data, h.Shape...), nil)
		w := make([]float64, len(vals))
		for i, v := range vals {
			w[i] = float64(v)
		}
		ref.w[p.Name] = w
	}
	return m, ref
}

// maxDiff returns the largest |got - want| and where it is.
func maxDiff(got []float32, want [][]float64) (float64, string) {
	worst, where := 0.0, ""
	V := len(want[0])
	for r := range want {
		for v := range want[r] {
			d := math.Abs(float64(got[r*V+v]) - want[r][v])
			if d > worst || math.IsNaN(d) {
				worst, where = d, fmt.Sprintf("row %d, logit %d: got %g, want %g", r, v, got[r*V+v], want[r][v])
			}
		}
	}
	return worst, where
}

// TestForwardMatchesReference compares every logit of the backend forward
// with the float64 reference, for each storage dtype. The reference uses
// the same rounded weights, so the tolerance only covers float32
// activations (half types round nothing else: compute widens to float32).
func TestForwardMatchesReference(t *testing.T) {
	b := testBackend()
	for _, tc := range testConfigs {
		for _, dt := range []kernels.DType{kernels.F32, kernels.F16, kernels.BF16} {
			t.Run(tc.name+"/"+dt.String(), func(t *testing.T) {
				m, ref := newTestModel(t, tc.cfg, b, dt, 1)
				B, T := 2, tc.cfg.MaxSeqLen-1
				ids := randomIDs(B*T, tc.cfg.VocabSize, 3)
				got := m.Logits(nil, ids, B, T)
				if d, where := maxDiff(got, ref.logits(ids, B, T)); d > 2e-5 {
					t.Errorf("max |diff| %g > 2e-5 at %s", d, where)
				}
			})
		}
	}
}

// TestQuantizedWeights runs models whose matrices are stored in block
// types against the reference holding the dequantized weights: MatMul and
// Embedding decode blocks exactly, so only float32 rounding remains. For
// the types with integer dot products (qblock.ActType), a backend may
// quantize each matrix input to 8 bits first, as llama.cpp does (the CPU
// backend does for up to 16 rows, as here): then the reference does too.
func TestQuantizedWeights(t *testing.T) {
	b := testBackend()
	cfgs := []Config{
		{Arch: ArchLlama, Dim: 64, HiddenDim: 96, NLayers: 2, NHeads: 4, NKVHeads: 2, VocabSize: 40, MaxSeqLen: 8,
			NormEps: 1e-5, RopeTheta: 10000, BOS: 1, EOS: 2},
		{Arch: ArchGPT2, Dim: 64, HiddenDim: 128, NLayers: 1, NHeads: 2, NKVHeads: 2, VocabSize: 40, MaxSeqLen: 8,
			NormEps: 1e-5, TiedEmbeddings: true, BOS: -1, EOS: -1},
	}
	for _, cfg := range cfgs {
		for _, dt := range []kernels.DType{kernels.Q8_0, kernels.Q4_0, kernels.I8CH, kernels.I4A_G32} {
			t.Run(cfg.Arch+"/"+dt.String(), func(t *testing.T) {
				m, ref := newTestModel(t, cfg, b, dt, 6)
				ids := randomIDs(2*cfg.MaxSeqLen, cfg.VocabSize, 1)
				got := m.Logits(nil, ids, 2, cfg.MaxSeqLen)
				d, where := maxDiff(got, ref.logits(ids, 2, cfg.MaxSeqLen))
				if _, ok := qblock.ActType(dt); ok && d > 1e-4 {
					ref.actQuant = dt
					d, where = maxDiff(got, ref.logits(ids, 2, cfg.MaxSeqLen))
				}
				if d > 1e-4 {
					t.Errorf("max |diff| %g > 1e-4 at %s", d, where)
				}
			})
		}
	}
}

// TestHalfStorageTolerance bounds the effect of storing weights in F16 and
// BF16 against the float32 weights they were rounded from.
func TestHalfStorageTolerance(t *testing.T) {
	b := testBackend()
	tol := map[kernels.DType]float64{kernels.F16: 5e-3, kernels.BF16: 5e-2}
	for _, tc := range testConfigs {
		m32, _ := newTestModel(t, tc.cfg, b, kernels.F32, 2)
		B, T := 1, tc.cfg.MaxSeqLen
		ids := randomIDs(B*T, tc.cfg.VocabSize, 5)
		want := m32.Logits(nil, ids, B, T)
		for dt, tl := range tol {
			mh, _ := newTestModel(t, tc.cfg, b, dt, 2)
			got := mh.Logits(nil, ids, B, T)
			worst := 0.0
			for i := range got {
				worst = math.Max(worst, math.Abs(float64(got[i]-want[i])))
			}
			if worst > tl {
				t.Errorf("%s/%s: max |logit diff| vs F32 weights %g > %g", tc.name, dt, worst, tl)
			}
		}
	}
}

// TestKVCacheDecoding feeds a prompt, then one token at a time, and checks
// each step's logits against the full forward over the whole sequence.
func TestKVCacheDecoding(t *testing.T) {
	b := testBackend()
	for _, tc := range testConfigs {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := newTestModel(t, tc.cfg, b, kernels.F32, 4)
			B, T, V := 2, tc.cfg.MaxSeqLen, tc.cfg.VocabSize
			ids := randomIDs(B*T, V, 7)
			full := m.Logits(nil, ids, B, T)
			cache := m.NewKVCache(B, T)
			prompt := 3
			step := func(t0, n int) []float32 {
				in := make([]int32, 0, B*n)
				for bb := 0; bb < B; bb++ {
					in = append(in, ids[bb*T+t0:bb*T+t0+n]...)
				}
				return b.ToFloat32(m.Forward(in, B, n, cache), nil)
			}
			check := func(got []float32, t0, n int) {
				for bb := 0; bb < B; bb++ {
					for i := 0; i < n; i++ {
						for v := 0; v < V; v++ {
							g, w := got[(bb*n+i)*V+v], full[(bb*T+t0+i)*V+v]
							if math.Abs(float64(g-w)) > 1e-5 {
								t.Fatalf("batch %d pos %d logit %d: cached %g, full %g", bb, t0+i, v, g, w)
							}
						}
					}
				}
			}
			check(step(0, prompt), 0, prompt)
			for p := prompt; p < T; p++ {
				check(step(p, 1), p, 1)
			}
			if cache.Pos != T {
				t.Errorf("cache.Pos = %d, want %d", cache.Pos, T)
			}
		})
	}
}

// TestNewErrors checks that bad tensors give errors naming the tensor.
func TestNewErrors(t *testing.T) {
	b := testBackend()
	cfg := testConfigs[0].cfg
	params := RandomParams(cfg, 1)
	q0 := LayerName(0, AttnQ, "weight")
	cases := []struct {
		name   string
		mutate func(s *MapSource)
		want   string
	}{
		{"missing", func(s *MapSource) { delete(s.Tensors, q0) }, "missing tensor " + q0},
		{"shape", func(s *MapSource) { h := s.Tensors[q0]; h.Shape = []int{8, 32}; s.Tensors[q0] = h }, q0 + " has shape [8 32]"},
		{"dtype", func(s *MapSource) { h := s.Tensors[q0]; h.DType = kernels.I32; s.Tensors[q0] = h }, q0 + " has unsupported dtype I32"},
		{"short", func(s *MapSource) { h := s.Tensors[q0]; h.Data = h.Data[:10]; s.Tensors[q0] = h }, q0 + ": 10 bytes"},
		{"nan", func(s *MapSource) {
			h := s.Tensors[q0]
			d := append([]byte(nil), h.Data...)
			copy(d[8:], []byte{0, 0, 0xc0, 0x7f})
			h.Data = d
			s.Tensors[q0] = h
		}, q0 + ": non-finite value NaN at element 2"},
		{"config", func(s *MapSource) {}, "invalid config"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg
			if tc.name == "config" {
				c.NKVHeads = 3
			}
			src := EncodeParams("ckpt.bin", cfg, b, params, kernels.F32)
			tc.mutate(src)
			_, err := New(c, b, src)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "ckpt.bin") {
				t.Errorf("err = %v, want it to mention %q and the file", err, tc.want)
			}
		})
	}
}

// TestParamBlock fills one parameter block with the same weights as a
// model loaded from a source and checks bit-identical logits.
func TestParamBlock(t *testing.T) {
	b := testBackend()
	for _, tc := range testConfigs {
		params := RandomParams(tc.cfg, 8)
		m1, err := New(tc.cfg, b, EncodeParams("src", tc.cfg, b, params, kernels.F32))
		if err != nil {
			t.Fatal(err)
		}
		block, views := NewParamBlock(tc.cfg, b, kernels.F32)
		for name, v := range views {
			b.Copy(v, b.FromFloat32(kernels.F32, params[name], v.Shape()...))
		}
		m2, err := NewFromTensors(tc.cfg, b, views)
		if err != nil {
			t.Fatal(err)
		}
		ids := randomIDs(2*5, tc.cfg.VocabSize, 2)
		got, want := m2.Logits(nil, ids, 2, 5), m1.Logits(nil, ids, 2, 5)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s: logit %d: block %g, source %g", tc.name, i, got[i], want[i])
			}
		}
		if n := kernels.Numel(block); n != tc.cfg.NumParams() {
			t.Errorf("%s: block of %d elements, want %d", tc.name, n, tc.cfg.NumParams())
		}
	}
}

// TestBufferReuse alternates batch shapes (growing, shrinking, growing
// again) and checks each result against a fresh model's.
func TestBufferReuse(t *testing.T) {
	b := testBackend()
	cfg := testConfigs[0].cfg
	m, _ := newTestModel(t, cfg, b, kernels.F32, 9)
	for _, s := range [][2]int{{1, 3}, {2, 8}, {1, 2}, {3, 5}, {2, 8}} {
		B, T := s[0], s[1]
		ids := randomIDs(B*T, cfg.VocabSize, B+T)
		got := m.Logits(nil, ids, B, T)
		fresh, _ := newTestModel(t, cfg, b, kernels.F32, 9)
		want := fresh.Logits(nil, ids, B, T)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("B=%d T=%d: logit %d = %g after reuse, fresh %g", B, T, i, got[i], want[i])
			}
		}
	}
}

// TestForwardPanics checks that caller mistakes panic with a "model:"
// message.
func TestForwardPanics(t *testing.T) {
	b := testBackend()
	cfg := testConfigs[0].cfg
	m, _ := newTestModel(t, cfg, b, kernels.F32, 1)
	cases := []struct {
		name string
		f    func()
		want string
	}{
		{"len", func() { m.Forward(make([]int32, 5), 2, 3, nil) }, "5 ids for B=2, T=3"},
		{"id", func() { m.Forward([]int32{0, 99}, 1, 2, nil) }, "token id 99"},
		{"negative-id", func() { m.Forward([]int32{-1}, 1, 1, nil) }, "token id -1"},
		{"seq", func() { m.Forward(make([]int32, 17), 1, 17, nil) }, "past max_seq_len 16"},
		{"cache-batch", func() { m.Forward(make([]int32, 2), 2, 1, m.NewKVCache(1, 4)) }, "cache for batch 1 used with batch 2"},
		{"cache-full", func() { m.Forward(make([]int32, 5), 1, 5, m.NewKVCache(1, 4)) }, "exceed the cache length 4"},
		{"cache-size", func() { m.NewKVCache(1, 17) }, "NewKVCache(1, 17)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				if !strings.HasPrefix(msg, "model: ") || !strings.Contains(msg, tc.want) {
					t.Errorf("panic %v, want a model: panic mentioning %q", r, tc.want)
				}
			}()
			tc.f()
		})
	}
}

// TestRandomSource: RandomSource gives the bytes of EncodeParams of
// RandomParams, one tensor at a time.
func TestRandomSource(t *testing.T) {
	cfg := Config{Arch: ArchQwen2, Dim: 32, HiddenDim: 48, NLayers: 2, NHeads: 4, NKVHeads: 2, VocabSize: 40, MaxSeqLen: 16,
		NormEps: 1e-6, RopeTheta: 1e6, TiedEmbeddings: true, BOS: 1, EOS: 2}
	b := cpu.New(1)
	for _, dt := range []kernels.DType{kernels.BF16, kernels.F32} {
		want := EncodeParams("w", cfg, b, RandomParams(cfg, 3), dt)
		got := RandomSource("g", cfg, b, dt, 3)
		for _, p := range cfg.Params() {
			w, _ := want.Lookup(p.Name)
			g, ok := got.Lookup(p.Name)
			if !ok || g.DType != dt || !bytes.Equal(g.Data, w.Data) {
				t.Errorf("%s %s: differs", dt, p.Name)
			}
		}
	}
}

// TestForwardFLOPs against a hand count: Llama, untied (the embedding
// lookup costs nothing), GQA.
func TestForwardFLOPs(t *testing.T) {
	c := Config{Arch: ArchLlama, Dim: 8, HiddenDim: 12, NLayers: 2, NHeads: 2, NKVHeads: 1, VocabSize: 10, MaxSeqLen: 16,
		NormEps: 1e-5, RopeTheta: 1e4, BOS: 1, EOS: 2}
	perTok := 2 * (2*(8*8+2*8*4+8*8+3*8*12) + 10*8) // q, k, v, o, gate/up/down; head
	attn := 2 * 8 * 5 * 6 * 2                       // 2 QD T(T+1) L, T = 5
	if got, want := c.ForwardFLOPs(3, 5), float64(3*(5*perTok+attn)); got != want {
		t.Errorf("untied: %v, want %v", got, want)
	}
	c.TiedEmbeddings = true
	if got, want := c.ForwardFLOPs(1, 5), float64(5*perTok+attn); got != want {
		t.Errorf("tied: %v, want %v", got, want)
	}
}
