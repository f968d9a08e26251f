package pipeline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/recipe"
	"github.com/distill-dev/distill/tokenizer"
)

// TestValidatedShapeIsBuilt: over GQA, MQA, MHA and GPT-2 teachers, every
// student section that validates builds (through the train stage's
// student.Job) exactly the model validation resolved, tensor by tensor; every one that does not gets
// one error naming the student line of the recipe.
func TestValidatedShapeIsBuilt(t *testing.T) {
	llama := func(layers, dim, heads, kv, hidden int) model.Config {
		return model.Config{Arch: model.ArchLlama, Dim: dim, HiddenDim: hidden, NLayers: layers, NHeads: heads, NKVHeads: kv,
			VocabSize: 512, MaxSeqLen: 16, NormEps: 1e-5, RopeTheta: 10000, TiedEmbeddings: true, BOS: 1, EOS: 2}
	}
	gqa, mqa, mha := llama(4, 48, 12, 4, 96), llama(3, 32, 8, 1, 64), llama(2, 32, 4, 4, 64)
	explicit := llama(2, 36, 8, 4, 64) // heads of 8 in a 36-wide model (HF head_dim)
	explicit.ExplicitHeadDim = 8
	gpt2 := model.Config{Arch: model.ArchGPT2, Dim: 32, HiddenDim: 128, NLayers: 3, NHeads: 4, NKVHeads: 4,
		VocabSize: 512, MaxSeqLen: 16, NormEps: 1e-5, TiedEmbeddings: true, BOS: -1, EOS: -1}
	for _, tc := range []struct {
		name    string
		teacher model.Config
		student string // the student section's flow mapping
		heads   [2]int // built query and KV heads (valid cases)
		bad     string // the one field at fault, "" when valid
	}{
		{"gqa copy", gqa, "{every_k: 2}", [2]int{12, 4}, ""},
		{"gqa 6 heads: 3 kv", gqa, "{n_heads: 6, dim: 24, init: importance}", [2]int{6, 3}, ""},
		{"gqa 6 heads random", gqa, "{n_heads: 6, dim: 24, hidden_dim: 48, init: random, layers: [0, 3]}", [2]int{6, 3}, ""},
		{"gqa 8 heads: kv 4", gqa, "{n_heads: 8, dim: 32, init: importance, n_layers: 2}", [2]int{8, 4}, ""},
		{"gqa 4 heads, 1 kv (MQA)", gqa, "{n_heads: 4, n_kv_heads: 1, dim: 16, hidden_dim: 32, init: random}", [2]int{4, 1}, ""},
		{"gqa 3 heads: kv 3", gqa, "{n_heads: 3, dim: 12, init: random}", [2]int{3, 3}, ""},
		{"gqa kv only", gqa, "{n_kv_heads: 2, init: random}", [2]int{12, 2}, ""},
		{"gqa kv larger", gqa, "{n_kv_heads: 6, init: random}", [2]int{}, "n_kv_heads"},
		{"gqa group too wide for importance", gqa, "{n_heads: 12, n_kv_heads: 2, init: importance}", [2]int{}, "n_kv_heads"},
		{"gqa head width changes", gqa, "{n_heads: 6, init: importance}", [2]int{}, "n_heads"},
		{"gqa heads do not divide dim", gqa, "{n_heads: 5, dim: 24, init: random}", [2]int{}, "dim"},
		{"gqa odd head width", gqa, "{n_heads: 8, dim: 24, init: random}", [2]int{}, "dim"},
		{"gqa copy needs widths", gqa, "{hidden_dim: 48}", [2]int{}, "hidden_dim"},
		{"mqa copy", mqa, "{n_layers: 2}", [2]int{8, 1}, ""},
		{"mqa 4 heads", mqa, "{n_heads: 4, dim: 16, hidden_dim: 32, init: importance}", [2]int{4, 1}, ""},
		{"mqa 2 kv", mqa, "{n_kv_heads: 2, init: random}", [2]int{}, "n_kv_heads"},
		{"mqa layer out of range", mqa, "{layers: [0, 3]}", [2]int{}, "layers[1]"},
		{"mha 2 heads", mha, "{n_heads: 2, dim: 16, init: importance}", [2]int{2, 2}, ""},
		{"mha group wider than teacher's", mha, "{n_kv_heads: 2, init: importance}", [2]int{}, "n_kv_heads"},
		{"mha wider", mha, "{dim: 64, init: random}", [2]int{}, "dim"},
		{"explicit head_dim copy", explicit, "{every_k: 2}", [2]int{8, 4}, ""},
		{"explicit head_dim 4 heads", explicit, "{n_heads: 4, init: importance}", [2]int{4, 4}, ""},
		{"explicit head_dim narrower", explicit, "{dim: 24, hidden_dim: 32, init: importance}", [2]int{8, 4}, ""},
		{"gpt2 2 heads", gpt2, "{n_heads: 2, dim: 16, hidden_dim: 64, init: importance}", [2]int{2, 2}, ""},
		{"gpt2 grouped", gpt2, "{n_kv_heads: 2, init: random}", [2]int{}, "n_kv_heads"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := fmt.Sprintf("teacher: {path: t.bin}\ndata: {train: train.txt, seq_len: 8}\nstudent: %s\ntraining: {steps: 1, batch_size: 2}\n", tc.student)
			r, err := recipe.Parse("r.yaml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			info := recipe.TeacherInfo{Config: tc.teacher}
			err = r.Validate(recipe.ValidateContext{SkipFiles: true, Teacher: func(recipe.Teacher) (recipe.TeacherInfo, error) { return info, nil }})
			if tc.bad != "" {
				var es recipe.Errors
				if !errors.As(err, &es) || len(es) != 1 || es[0].Field != "student."+tc.bad || es[0].Pos.Line != 3 {
					t.Fatalf("want one error at student.%s on line 3, got %v", tc.bad, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("validation: %v", err)
			}
			want, _, err := r.Student.Resolve(info)
			if err != nil {
				t.Fatal(err)
			}
			if [2]int{want.NHeads, want.NKVHeads} != tc.heads {
				t.Errorf("validation resolved %d heads, %d KV heads; want %v", want.NHeads, want.NKVHeads, tc.heads)
			}
			p := buildForTest(t, r, tc.teacher)
			if p.Config != want {
				t.Fatalf("built %v, validation resolved %v", p.Config, want)
			}
			for _, s := range want.Params() {
				if v := p.Views[s.Name]; v == nil || !slices.Equal(v.Shape(), s.Shape) {
					t.Errorf("built tensor %s is %v, want %v", s.Name, v, s.Shape)
				}
			}
		})
	}
}

// buildForTest builds the student of r the way the train stage does (its
// student.Job), against a random teacher of config tc written as an HF
// checkpoint with the quickstart tokenizer.
func buildForTest(t *testing.T, r *recipe.Recipe, tc model.Config) *model.ParamBlock {
	t.Helper()
	dir := t.TempDir()
	b := cpu.New(1)
	tok, err := tokenizer.Load("../testdata/quickstart/tokenizer.bin")
	if err != nil {
		t.Fatal(err)
	}
	src := model.EncodeParams("teacher", tc, b, model.RandomParams(tc, 1), kernels.F32)
	if err := checkpoint.WriteHF(filepath.Join(dir, "teacher"), tc, src, tok, checkpoint.HFOptions{}); err != nil {
		t.Fatal(err)
	}
	text := strings.Repeat("Once upon a time there was a little cat.\n\n", 20)
	if err := os.WriteFile(filepath.Join(dir, "train.txt"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := trainJob(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	j.Teacher, j.Data.Train, j.Out = filepath.Join(dir, "teacher"), filepath.Join(dir, "train.txt"), filepath.Join(dir, "student")
	s, err := j.Open(b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	tr, err := s.Trainer()
	if err != nil {
		t.Fatalf("building: %v", err)
	}
	return tr.Master
}
