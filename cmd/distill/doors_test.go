package main

import (
	"os"
	"path/filepath"
	"testing"
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
	runReal(t, "train", bin, "--data", data, "--seq-len", "32", "--soft-labels", filepath.Join(dir, "cache"),
		"--alpha", "1", "--temperature", "2", "--every-k", "2", "--steps", "1", "--batch", "2", "--out", filepath.Join(dir, "cli"))
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
