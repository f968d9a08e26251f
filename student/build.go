package student

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
)

// Init methods of a student (and InitImportance).
const (
	InitTeacherLayers = "teacher_layers" // copy the chosen teacher layers
	InitRandom        = "random"         // scaled random init
)

// CheckVocab refuses a student whose vocabulary differs from the teacher's
// (logits of different sizes cannot be compared token by token), unless
// the extra rows are only padding beyond the tokenizer's real vocabulary
// (tokVocab, 0 when unknown), in which case it returns the shared size.
func CheckVocab(teacherV, studentV, tokVocab int) (int, error) {
	if teacherV == studentV {
		return teacherV, nil
	}
	shared := min(teacherV, studentV)
	if tokVocab > 0 && tokVocab <= shared {
		return shared, nil
	}
	return 0, fmt.Errorf("student: vocabulary of %d tokens differs from the teacher's %d (tokenizer has %d); "+
		"a student must share the teacher's tokenizer, differing at most in padding rows", studentV, teacherV, tokVocab)
}

// Build creates the student's F32 master weights for config cfg. With
// InitTeacherLayers every tensor is copied from the teacher (embeddings,
// final norm, classifier, and student layer i from teacher layer
// layers[i]); the widths must then match. With InitRandom (or when t is
// nil) weights are random, scaled as GPT-2: N(0, 0.02) matrices and
// embeddings, the residual projections (attn_output, ffn_down) divided by
// sqrt(2 L), norms 1, biases 0, drawn from a PCG seeded with seed.
func Build(b kernels.Backend, cfg model.Config, t *model.Model, layers []int, init string, seed uint64) (*model.ParamBlock, error) {
	p, err := model.AllocParams(cfg, b, kernels.F32)
	if err != nil {
		return nil, fmt.Errorf("student: %w", err)
	}
	if init == "" {
		init = InitTeacherLayers
	}
	switch init {
	case InitRandom:
		if err := p.Set(b, randomInit(cfg, seed)); err != nil {
			return nil, err
		}
		return p, nil
	case InitTeacherLayers, InitImportance:
	default:
		return nil, fmt.Errorf("student: unknown init %q (want %q, %q or %q)", init, InitTeacherLayers, InitImportance, InitRandom)
	}
	if t == nil {
		return nil, fmt.Errorf("student: init %s needs the teacher", init)
	}
	if len(layers) != cfg.NLayers {
		return nil, fmt.Errorf("student: %d layers chosen for a %d-layer student", len(layers), cfg.NLayers)
	}
	if _, err := CheckVocab(t.Config.VocabSize, cfg.VocabSize, 0); err != nil {
		return nil, err
	}
	if init == InitImportance {
		if err := buildImportance(b, p, cfg, t, layers); err != nil {
			return nil, err
		}
		return p, nil
	}
	tc := t.Config
	if tc.Dim != cfg.Dim || tc.HiddenDim != cfg.HiddenDim || tc.NHeads != cfg.NHeads || tc.NKVHeads != cfg.NKVHeads || tc.Arch != cfg.Arch {
		return nil, fmt.Errorf("student: init teacher_layers needs the teacher's widths (teacher %v, student %v); use init importance or random", tc, cfg)
	}
	for _, s := range cfg.Params() {
		name := s.Name
		if l, rest, ok := layerOf(name); ok {
			name = model.LayerName(layers[l], rest[0], rest[1])
		}
		src := t.Param(name)
		if src == nil {
			return nil, fmt.Errorf("student: teacher has no tensor %s for %s", name, s.Name)
		}
		if src.DType().IsQuantized() {
			return nil, fmt.Errorf("student: teacher tensor %s is %s; distill from a float checkpoint", name, src.DType())
		}
		b.Copy(p.Views[s.Name], src)
	}
	return p, nil
}

// layerOf splits "blk.N.part.kind" into N and [part, kind].
func layerOf(name string) (int, [2]string, bool) {
	var l int
	rest, ok := strings.CutPrefix(name, "blk.")
	if !ok {
		return 0, [2]string{}, false
	}
	num, tail, ok := strings.Cut(rest, ".")
	if _, err := fmt.Sscan(num, &l); err != nil || !ok {
		return 0, [2]string{}, false
	}
	i := strings.LastIndex(tail, ".")
	return l, [2]string{tail[:i], tail[i+1:]}, true
}

// randomInit returns GPT-2-style initial values for every parameter.
func randomInit(c model.Config, seed uint64) map[string][]float32 {
	rng := rand.New(rand.NewPCG(seed, 0x57d))
	out := make(map[string][]float32)
	for _, s := range c.Params() {
		x := make([]float32, s.Numel())
		switch {
		case strings.HasSuffix(s.Name, ".bias"):
		case len(s.Shape) == 1: // norm weights
			for i := range x {
				x[i] = 1
			}
		default:
			std := 0.02
			if strings.Contains(s.Name, model.AttnOutput) || strings.Contains(s.Name, model.FFNDown) {
				std /= math.Sqrt(2 * float64(c.NLayers))
			}
			for i := range x {
				x[i] = float32(rng.NormFloat64() * std)
			}
		}
		out[s.Name] = x
	}
	return out
}
