package quant

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
)

// TestFakeQuantizeIsQuantize checks that fake quantization gives exactly
// the values the quantized export decodes to, for every tensor of a plan
// with row fallbacks (rows of 40 fit no 32-block: F16 for the GGML types,
// I8CH for int4 groups; rows of 64 no k-quant block), and that Fallbacks names those tensors.
func TestFakeQuantizeIsQuantize(t *testing.T) {
	cfg := model.Config{Arch: model.ArchLlama, Dim: 64, HiddenDim: 40, NLayers: 2, NHeads: 4, NKVHeads: 2,
		VocabSize: 96, MaxSeqLen: 16, NormEps: 1e-5, RopeTheta: 10000, TiedEmbeddings: true}
	src := model.EncodeParams("random", cfg, cpu.New(1), model.RandomParams(cfg, 3), kernels.F32)
	for _, tc := range []struct {
		method    string
		fallbacks int
	}{{"q4_0", 3}, {"q4_k_m", 14}, {"int4-g32", 2}, {"q8_0", 2}, {"int8", 0}} {
		m, err := ParseMethod(tc.method)
		if err != nil {
			t.Fatal(err)
		}
		p, err := NewPlan(cfg, m, PlanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		q, err := Quantize(src, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, tp := range p.Tensors {
			in, _ := src.Lookup(tp.Name)
			w, err := Float32(in)
			if err != nil {
				t.Fatal(err)
			}
			orig := slices.Clone(w)
			if err := p.FakeQuantize(tp.Name, w); err != nil {
				t.Fatal(err)
			}
			qt, _ := q.Lookup(tp.Name)
			want, err := Float32(qt)
			if err != nil {
				t.Fatal(err)
			}
			for i := range w {
				if math.Float32bits(w[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s: %s[%d] fake-quantized to %v, the export decodes %v (type %s)", tc.method, tp.Name, i, w[i], want[i], tp.DType)
				}
			}
			if tp.DType != kernels.F32 && tp.DType != kernels.F16 && slices.Equal(w, orig) {
				t.Errorf("%s: %s (%s) unchanged by fake quantization", tc.method, tp.Name, tp.DType)
			}
		}
		fb := p.Fallbacks()
		if len(fb) != tc.fallbacks || (len(fb) > 0 && !strings.Contains(fb[len(fb)-1], "ffn_down.weight [64 40]: ")) {
			t.Errorf("%s: fallbacks %q, want %d ending with ffn_down", tc.method, fb, tc.fallbacks)
		}
	}
	p, _ := NewPlan(cfg, Method{Name: "q4_0", Base: kernels.Q4_0, Family: FamilyGGUF}, PlanOptions{})
	if err := p.FakeQuantize("blk.9.attn_q.weight", make([]float32, 4)); err == nil {
		t.Error("a tensor outside the plan was accepted")
	}
	if err := p.FakeQuantize(model.NameTokenEmbd, make([]float32, 4)); err == nil {
		t.Error("a wrong length was accepted")
	}
}
