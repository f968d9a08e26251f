package student

import (
	"context"
	"github.com/distill-dev/distill/corpus"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
)

func TestSoftLabelCache(t *testing.T) {
	b := cpu.New(2)
	teacher := newTeacher(t, b, tinyTeacher)
	tokens := randomTokens(4000, tinyTeacher.VocabSize, 5) // the tokens run() trains on
	dir := t.TempDir()
	spec := Manifest{TeacherHash: "t", TokenizerHash: "tok", K: 8, SeqLen: 16, Temperature: 2, ShardWindows: 50}
	full, err := Teach(context.Background(), dir, teacher, tokens, 8, spec)
	if err != nil {
		t.Fatal(err)
	}
	if full.Windows != 249 || len(full.Shards) != 5 {
		t.Fatalf("manifest %+v", full)
	}

	// An interrupted run (2 shards lost) resumes to the same files.
	cut := *full
	cut.Shards = cut.Shards[:3]
	if err := cut.write(dir); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, full.Shards[4].File))
	again, err := Teach(context.Background(), dir, teacher, tokens, 8, spec)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.Shards, full.Shards) {
		t.Errorf("resumed shards %v, want %v", again.Shards, full.Shards)
	}

	// Labels of a window equal TopKLogProbs of the teacher on it.
	c, err := OpenSoftLabels(dir, Manifest{TeacherHash: "t", K: 8, SeqLen: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ids, lps, err := c.Window(123)
	if err != nil {
		t.Fatal(err)
	}
	logits := teacher.Forward(tokens[123*16:124*16], 1, 16, nil)
	wi, wl := b.Zeros(kernels.I32, 16, 8), b.Zeros(kernels.F16, 16, 8)
	b.(kernels.TrainOps).TopKLogProbs(wi, wl, logits, 8, 2)
	if !slices.Equal(ids, b.ReadBytes(wi)) || !slices.Equal(lps, b.ReadBytes(wl)) {
		t.Error("cached window 123 differs from the teacher's top-k")
	}

	// Training from the cache tracks online top-k training (fp16 labels).
	o := kdOptions()
	o.TopK = 8
	online, _ := run(t, o, 10, nil)
	o.Cache = c
	cached, _ := run(t, o, 10, nil)
	for i := range online {
		if math.Abs(cached[i]-online[i]) > 2e-3*online[i] {
			t.Errorf("step %d: cached loss %v, online %v", i+1, cached[i], online[i])
		}
	}

	// Refusals: other inputs, wrong temperature, corrupt shard.
	if _, err := OpenSoftLabels(dir, Manifest{TeacherHash: "other"}); err == nil || !strings.Contains(err.Error(), "teacher_sha256") {
		t.Errorf("other teacher: %v", err)
	}
	o.Loss.Temperature = 1
	master, _ := model.AllocParams(tinyTeacher, b, kernels.F32)
	data, _ := corpus.NewSampler(tokens, 16, 4, 1)
	o.Steps = 1
	if _, err := NewTrainer(b, nil, master, data, o); err == nil || !strings.Contains(err.Error(), "temperature") {
		t.Errorf("temperature mismatch: %v", err)
	}
	path := filepath.Join(dir, full.Shards[2].File)
	raw, _ := os.ReadFile(path)
	raw[len(raw)-1] ^= 1
	os.WriteFile(path, raw, 0o644)
	c2, err := OpenSoftLabels(dir, Manifest{})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if _, _, err := c2.Window(100); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("corrupt shard: %v", err)
	}
	// An incomplete cache is refused.
	cut.write(dir)
	if _, err := OpenSoftLabels(dir, Manifest{}); err == nil || !strings.Contains(err.Error(), "incomplete") {
		t.Errorf("incomplete cache: %v", err)
	}
}

// TestHashTree: a file hashes as HashFile; a folder by its files' relative
// names, so the same checkpoint hashes alike wherever it lies.
func TestHashTree(t *testing.T) {
	mk := func() string {
		dir := t.TempDir()
		for name, body := range map[string]string{"config.json": "{}", "model.safetensors": "w", "sub/x": "y"} {
			p := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	a, b := mk(), mk()
	ha, err1 := HashTree(a, nil)
	hb, err2 := HashTree(b, nil)
	if err1 != nil || err2 != nil || ha != hb {
		t.Errorf("same folder in two places: %s, %s (%v, %v)", ha, hb, err1, err2)
	}
	f := filepath.Join(a, "config.json")
	hf, _ := HashFile(f)
	if ht, err := HashTree(f, nil); err != nil || ht != hf {
		t.Errorf("HashTree(file) = %s, %v; HashFile %s", ht, err, hf)
	}
	os.WriteFile(filepath.Join(b, "sub/x"), []byte("z"), 0o644)
	if hb2, _ := HashTree(b, nil); hb2 == ha {
		t.Error("changing a file did not change the folder's hash")
	}
}

func TestParseNames(t *testing.T) {
	for s, want := range map[string]kernels.Divergence{"kl": kernels.ForwardKL, "forward_kl": kernels.ForwardKL, "reverse_kl": kernels.ReverseKL, "jsd": kernels.JSD} {
		if got, err := ParseDivergence(s); err != nil || got != want {
			t.Errorf("ParseDivergence(%q) = %v, %v", s, got, err)
		}
	}
	for s, want := range map[string]kernels.HiddenKind{"mse": kernels.HiddenMSE, "cosine": kernels.HiddenCosine} {
		if got, err := ParseHiddenLoss(s); err != nil || got != want {
			t.Errorf("ParseHiddenLoss(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseDivergence("kld"); err == nil {
		t.Error("kld accepted")
	}
	if _, err := ParseHiddenLoss("l1"); err == nil {
		t.Error("l1 accepted")
	}
}
