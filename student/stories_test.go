package student

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/corpus"
	"github.com/distill-dev/distill/internal/formattest"
	"github.com/distill-dev/distill/kernels/cpu"
)

// storiesData loads the stories260K teacher and the first bytes of the
// generated TinyStories training and validation text, tokenised with BOS
// before every document (skipping when ../shared/data is absent).
func storiesData(t *testing.T, trainBytes, validBytes int) (*checkpoint.Loaded, []int32, []int32) {
	t.Helper()
	data := formattest.SharedData(t)
	tch, err := checkpoint.Load(filepath.Join(data, "stories260K", "stories260K.bin"), cpu.New(0), checkpoint.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string, limit int) []int32 {
		raw, err := os.ReadFile(filepath.Join(data, "tinystories-gen", name))
		if err != nil {
			t.Fatal(err)
		}
		prefix := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(prefix, raw[:min(limit, len(raw))], 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := corpus.TokenizeFile(prefix, corpus.ReadOptions{}, tch.Tokenizer, corpus.BOSDocument)
		if err != nil {
			t.Fatal(err)
		}
		return s.IDs
	}
	return tch, read("train.txt", trainBytes), read("valid.txt", validBytes)
}

// trainStories trains a 2-layer student of the stories260K teacher tch
// (teacher layers 0 and 4, under half its parameters, initialised from
// them) for steps (0: none) of B x T tokens of train, in the data order of seed, with
// the demonstration's optimizer (AdamW, cosine lr 3e-3 with 10 warmup
// steps, weight decay 0.01, clip 1) and o's loss and methods.
func trainStories(t *testing.T, tch *checkpoint.Loaded, train []int32, steps, B, T int, seed uint64, o Options) *Trainer {
	t.Helper()
	b := tch.Model.Backend
	cfg, layers, err := Resolve(tch.Config, Shape{NLayers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if 2*cfg.NumParams() > tch.Config.NumParams() {
		t.Fatalf("student has %d parameters, more than half of the teacher's %d", cfg.NumParams(), tch.Config.NumParams())
	}
	master, err := Build(b, cfg, tch.Model, layers, InitTeacherLayers, 1)
	if err != nil {
		t.Fatal(err)
	}
	sampler, err := corpus.NewSampler(train, T, B, seed)
	if err != nil {
		t.Fatal(err)
	}
	o.Steps, o.Schedule = max(steps, 1), Schedule{Kind: ScheduleCosine, LR: 3e-3, Warmup: 10, MinRatio: 0.1}
	o.WeightDecay, o.GradClip = 0.01, 1
	tr, err := NewTrainer(b, tch.Model, master, sampler, o)
	if err != nil {
		t.Fatal(err)
	}
	for tr.Step < steps {
		if _, err := tr.TrainStep(); err != nil {
			t.Fatal(err)
		}
	}
	return tr
}
