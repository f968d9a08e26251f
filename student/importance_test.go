package student

import (
	"fmt"
	"github.com/distill-dev/distill/corpus"
	"math"
	"testing"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
)

// TestImportanceDropsDeadParts: a teacher whose FFN channels 40.. are dead
// (zero weights) loses nothing when importance slicing removes exactly
// those, so the student's logits equal the teacher's. Query heads are as
// wide as the residual stream here, so fewer heads means a narrower model
// (not exact: norms then average over fewer channels); there the dead heads
// 2, 3 (kv group 1) must be the ones dropped.
func TestImportanceDropsDeadParts(t *testing.T) {
	for _, tcase := range []struct {
		arch          string
		byActivations bool
	}{{model.ArchLlama, false}, {model.ArchGPT2, false}, {model.ArchLlama, true}, {model.ArchGPT2, true}} {
		arch, byActivations := tcase.arch, tcase.byActivations
		t.Run(fmt.Sprintf("%s/activations=%v", arch, byActivations), func(t *testing.T) {
			b := cpu.New(2)
			tc := tinyTeacher
			if arch == model.ArchGPT2 {
				tc = model.Config{Arch: model.ArchGPT2, Dim: 32, HiddenDim: 64, NLayers: 3, NHeads: 4, NKVHeads: 4,
					VocabSize: 64, MaxSeqLen: 32, NormEps: 1e-5, TiedEmbeddings: true, BOS: -1, EOS: -1}
			}
			params := model.RandomParams(tc, 3)
			hd, C := tc.HeadDim(), tc.Dim
			deadKV := []int{1} // llama: kv group 1 = query heads 2, 3
			deadQ := []int{2, 3}
			if arch == model.ArchGPT2 {
				deadKV = []int{2, 3}
			}
			zeroRows := func(name string, rows []int) {
				x := params[name]
				cols := 0
				for _, s := range tc.Params() {
					if s.Name == name {
						cols = s.Numel() / s.Shape[0]
					}
				}
				for _, r := range rows {
					clear(x[r*cols : (r+1)*cols])
				}
			}
			zeroCols := func(name string, cols []int, width int) {
				x := params[name]
				for r := 0; r < len(x)/width; r++ {
					for _, c := range cols {
						x[r*width+c] = 0
					}
				}
			}
			var ffnDead []int
			for j := 40; j < tc.HiddenDim; j++ {
				ffnDead = append(ffnDead, j)
			}
			for l := range tc.NLayers {
				n := func(part string) string { return model.LayerName(l, part, "weight") }
				zeroRows(n(model.AttnQ), expand(deadQ, hd))
				zeroRows(n(model.AttnK), expand(deadKV, hd))
				zeroRows(n(model.AttnV), expand(deadKV, hd))
				zeroCols(n(model.AttnOutput), expand(deadQ, hd), C)
				zeroRows(n(model.FFNUp), ffnDead)
				if arch == model.ArchLlama {
					zeroRows(n(model.FFNGate), ffnDead)
				} else {
					for _, part := range []string{model.AttnQ, model.AttnK, model.AttnV, model.FFNUp} {
						bias := params[model.LayerName(l, part, "bias")]
						rows := ffnDead
						switch part {
						case model.AttnQ:
							rows = expand(deadQ, hd)
						case model.AttnK, model.AttnV:
							rows = expand(deadKV, hd)
						}
						for _, r := range rows {
							bias[r] = 0
						}
					}
				}
				zeroCols(n(model.FFNDown), ffnDead, tc.HiddenDim)
			}
			tp, err := model.AllocParams(tc, b, kernels.F32)
			if err != nil {
				t.Fatal(err)
			}
			if err := tp.Set(b, params); err != nil {
				t.Fatal(err)
			}
			teacher := tp.Model(b)
			calib, err := corpus.NewSampler(randomTokens(2000, tc.VocabSize, 8), 16, 4, 1)
			if err != nil {
				t.Fatal(err)
			}
			// build is weight importance, or activations on 3 batches.
			build := func(cfg model.Config, layers []int) (*model.ParamBlock, error) {
				if byActivations {
					return BuildImportance(b, cfg, teacher, layers, calib, 3)
				}
				return Build(b, cfg, teacher, layers, InitImportance, 1)
			}
			cfg, layers, err := Resolve(tc, Shape{HiddenDim: 40, Init: InitImportance})
			if err != nil {
				t.Fatal(err)
			}
			p, err := build(cfg, layers)
			if err != nil {
				t.Fatal(err)
			}
			ids := randomTokens(2*8, tc.VocabSize, 1)
			want := teacher.Logits(nil, ids, 2, 8)
			got := p.Model(b).Logits(nil, ids, 2, 8)
			for i := range want {
				if math.Abs(float64(got[i]-want[i])) > 1e-4 {
					t.Fatalf("logit %d: student %v, teacher %v", i, got[i], want[i])
				}
			}
			// A narrower residual stream also builds, with finite logits.
			narrow := Shape{Dim: 16, NHeads: 2, NKVHeads: 1, HiddenDim: 40, NLayers: 2}
			if arch == model.ArchGPT2 {
				narrow.NKVHeads = 0
			}
			cfg2, layers2, err := Resolve(tc, narrow)
			if err != nil {
				t.Fatal(err)
			}
			p2, err := build(cfg2, layers2)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range p2.Model(b).Logits(nil, ids, 2, 8) {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatal("non-finite logit from a narrowed student")
				}
			}
			for l := range cfg2.NLayers {
				for _, part := range []string{model.AttnQ, model.AttnK} {
					w := b.ToFloat32(p2.Views[model.LayerName(l, part, "weight")], nil)
					for r := 0; r < len(w)/cfg2.Dim; r++ {
						if norm2(w[r*cfg2.Dim:(r+1)*cfg2.Dim]) == 0 {
							t.Fatalf("layer %d %s row %d is a dead teacher head's", l, part, r)
						}
					}
				}
			}
		})
	}
}
