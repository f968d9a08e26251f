package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distill-dev/distill/checkpoint/llama2c"
	"github.com/distill-dev/distill/model"
)

// quickstartRecipe writes a recipe over the quickstart teacher whose train
// stage reads a soft-label cache in dir/cache, and returns its path and the
// teacher and data files (what the same job needs on the command line).
func quickstartRecipe(t *testing.T, dir string) (path, teacherBin, data string) {
	t.Helper()
	qs, err := filepath.Abs("../../testdata/quickstart")
	if err != nil {
		t.Fatal(err)
	}
	teacherBin, data = filepath.Join(qs, "teacher.bin"), filepath.Join(qs, "valid.txt")
	src := `name: doors
output: ` + filepath.Join(dir, "run") + `
teacher:
  path: ` + teacherBin + `
  tokenizer: ` + filepath.Join(qs, "tokenizer.bin") + `
data:
  train: ` + data + `
  validation: ` + data + `
  seq_len: 32
student:
  every_k: 2
distillation:
  loss: kl
  temperature: 2.0
  soft_labels: {mode: cached, top_k: 8, cache_dir: ` + filepath.Join(dir, "cache") + `}
training:
  steps: 2
  batch_size: 2
  seed: 1
  eval_every: 2
  threads: 2
evaluation:
  metrics: [ppl]
  context: 32
`
	path = filepath.Join(dir, "recipe.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, teacherBin, data
}

// TestRunCacheTrainsOnCLI is the regression test of issue 9's first bug: a
// soft-label cache written by the recipe's teach stage was refused by
// distill train --soft-labels ("tokenizer_sha256 , want ...") because the
// two doors hashed the teacher differently.
func TestRunCacheTrainsOnCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the quickstart teacher over its validation text")
	}
	dir := t.TempDir()
	recipePath, bin, data := quickstartRecipe(t, dir)
	runReal(t, "run", recipePath, "--only", "teach")
	runReal(t, "run", recipePath, "--only", "train")
	// The recipe's optimizer defaults, spelled out.
	runReal(t, "--threads", "2", "train", bin, "--data", data, "--seq-len", "32", "--soft-labels", filepath.Join(dir, "cache"), "--top-k", "8",
		"--alpha", "1", "--temperature", "2", "--every-k", "2", "--steps", "2", "--batch", "2", "--seed", "1",
		"--lr", "5e-4", "--weight-decay", "0.1", "--out", filepath.Join(dir, "cli"))
	sameWeights(t, filepath.Join(dir, "run", "train", "checkpoint"), filepath.Join(dir, "cli"))
}

// sameWeights fails unless the two student checkpoints hold the same
// weights, bit for bit.
func sameWeights(t *testing.T, a, b string) {
	t.Helper()
	wa, err1 := os.ReadFile(filepath.Join(a, "model.safetensors"))
	wb, err2 := os.ReadFile(filepath.Join(b, "model.safetensors"))
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if !bytes.Equal(wa, wb) {
		t.Errorf("%s and %s differ: the two doors trained different students", a, b)
	}
}

// TestDoorsTrainTheSameStudent: the same seed and options through the
// recipe and through the command line give bit-identical student weights,
// here with online distillation (mixed with hard labels) from a student
// sliced by activation importance on 2 calibration batches.
func TestDoorsTrainTheSameStudent(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two students")
	}
	dir := t.TempDir()
	qs, err := filepath.Abs("../../testdata/quickstart")
	if err != nil {
		t.Fatal(err)
	}
	bin, data := filepath.Join(qs, "teacher.bin"), filepath.Join(qs, "valid.txt")
	src := `name: same
output: ` + filepath.Join(dir, "run") + `
teacher: {path: ` + bin + `}
data: {train: ` + data + `, validation: ` + data + `, seq_len: 32}
student: {n_layers: 2, hidden_dim: 192, init: importance, calibration_batches: 2}
distillation: {loss: mix, alpha: 0.5, divergence: kl, temperature: 2.0}
training:
  steps: 3
  batch_size: 2
  seed: 3
  threads: 2
  eval_every: 3
  optimizer: {lr: 1.0e-3, weight_decay: 0.05}
  schedule: {warmup_steps: 1, min_lr_ratio: 0.2}
evaluation: {metrics: [ppl], context: 32}
`
	recipePath := filepath.Join(dir, "recipe.yaml")
	if err := os.WriteFile(recipePath, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	runReal(t, "run", recipePath, "--only", "teach")
	runReal(t, "run", recipePath, "--only", "train")
	runReal(t, "--threads", "2", "train", bin, "--data", data, "--seq-len", "32", "--n-layers", "2", "--hidden-dim", "192",
		"--init", "importance", "--calibration-batches", "2", "--alpha", "0.5", "--divergence", "forward_kl", "--temperature", "2",
		"--steps", "3", "--batch", "2", "--seed", "3", "--lr", "1e-3", "--weight-decay", "0.05", "--warmup", "1", "--min-lr-ratio", "0.2",
		"--out", filepath.Join(dir, "cli"))
	sameWeights(t, filepath.Join(dir, "run", "train", "checkpoint"), filepath.Join(dir, "cli"))
}

// TestCLICacheTrainsInRun is the reverse: a cache written by distill teach
// is accepted by the recipe's train stage.
func TestCLICacheTrainsInRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the quickstart teacher over its validation text")
	}
	dir := t.TempDir()
	recipePath, bin, data := quickstartRecipe(t, dir)
	runReal(t, "teach", bin, "--data", data, "--seq-len", "32", "--top-k", "8", "--temperature", "2", "--out", filepath.Join(dir, "cache"))
	manifest := filepath.Join(dir, "cache", "manifest.json")
	before, err := os.Stat(manifest)
	if err != nil {
		t.Fatal(err)
	}
	runReal(t, "run", recipePath)
	if after, err := os.Stat(manifest); err != nil || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("the teach stage rewrote the cache of distill teach (%v)", err)
	}
}

// gqaTeacher writes a random Llama teacher with 12 query and 4 KV heads
// (head width 4) as a llama2.c checkpoint beside the quickstart tokenizer.
func gqaTeacher(t *testing.T, dir string) string {
	t.Helper()
	cfg := model.Config{Arch: model.ArchLlama, Dim: 48, HiddenDim: 96, NLayers: 2, NHeads: 12, NKVHeads: 4, VocabSize: 512,
		MaxSeqLen: 64, NormEps: 1e-5, RopeTheta: 10000, TiedEmbeddings: true, BOS: 1, EOS: 2}
	h := llama2c.Header{Dim: cfg.Dim, HiddenDim: cfg.HiddenDim, NLayers: cfg.NLayers, NHeads: cfg.NHeads,
		NKVHeads: cfg.NKVHeads, VocabSize: cfg.VocabSize, SeqLen: cfg.MaxSeqLen, SharedClassifier: true}
	path := filepath.Join(dir, "gqa.bin")
	if err := llama2c.Write(path, h, model.RandomParams(cfg, 1)); err != nil {
		t.Fatal(err)
	}
	tok, err := os.ReadFile("../../testdata/quickstart/tokenizer.bin")
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "tokenizer.bin"), tok, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRecipeShapeIsBuiltShape is the regression test of issue 9's second
// bug: for a teacher with 12 heads and 4 KV heads, n_heads 6 validated as 3
// KV heads (the recipe's documented rule) while the trainer built 6 (and
// then refused to slice them by importance). The student trained by
// distill run must have the shape validation approved.
func TestRecipeShapeIsBuiltShape(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a student for a step")
	}
	dir := t.TempDir()
	bin := gqaTeacher(t, dir)
	data, err := filepath.Abs("../../testdata/quickstart/valid.txt")
	if err != nil {
		t.Fatal(err)
	}
	src := `name: gqa
output: ` + filepath.Join(dir, "run") + `
teacher: {path: ` + bin + `}
data: {train: ` + data + `, validation: ` + data + `, seq_len: 16}
student: {n_heads: 6, dim: 24, init: importance, calibration_batches: 1}
distillation: {loss: kl}
training: {steps: 1, batch_size: 2}
evaluation: {metrics: [ppl], context: 16}
`
	recipePath := filepath.Join(dir, "recipe.yaml")
	if err := os.WriteFile(recipePath, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	runReal(t, "validate", recipePath)
	runReal(t, "run", recipePath, "--only", "teach")
	runReal(t, "run", recipePath, "--only", "train")
	js, err := os.ReadFile(filepath.Join(dir, "run", "train", "checkpoint", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var hf struct {
		Heads   int `json:"num_attention_heads"`
		KVHeads int `json:"num_key_value_heads"`
		Dim     int `json:"hidden_size"`
	}
	if err := json.Unmarshal(js, &hf); err != nil {
		t.Fatal(err)
	}
	if hf.Heads != 6 || hf.KVHeads != 3 || hf.Dim != 24 {
		t.Errorf("trained student has %d heads, %d KV heads, dim %d; validation approved 6, 3, 24", hf.Heads, hf.KVHeads, hf.Dim)
	}
}

// TestTrainShapeErrorsNameFlags: distill train reports the shape resolver's
// errors (the ones recipe validation reports at recipe lines) at its flags,
// before loading the teacher's weights.
func TestTrainShapeErrorsNameFlags(t *testing.T) {
	qs, err := filepath.Abs("../../testdata/quickstart")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--heads", "2"}, "--heads: 2 differs from the teacher's 4: init teacher_layers copies whole layers"},
		{[]string{"--heads", "3", "--init", "random"}, "--heads: 3 does not divide the teacher's dim 128"},
		{[]string{"--layers", "0,9"}, "--layers: layer 9 out of range for the teacher's 4 layers (0..3)"},
		{[]string{"--kv-heads", "8", "--init", "random"}, "--kv-heads: 8 is larger than the teacher's 4"},
		{[]string{"--dim", "64", "--init", "importance"}, "--dim: dim 64 / n_heads 4 gives heads of width 16: init importance keeps whole teacher heads of width 32"},
	} {
		var o, e bytes.Buffer
		args := append([]string{"distill", "--progress", "none", "train", filepath.Join(qs, "teacher.bin"), "--data", filepath.Join(qs, "valid.txt"),
			"--seq-len", "32", "--steps", "1", "--out", filepath.Join(t.TempDir(), "out")}, c.flags...)
		if code := run(args, &o, &e, teacherHooks()); code != exitError || !strings.Contains(e.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", c.flags, code, e.String(), c.want)
		}
	}
}
