package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// gateRecipe is a tiny run of the quickstart teacher (a few steps, short
// sequences) whose gates are given by the caller.
func gateRecipe(t *testing.T, gates string) string {
	t.Helper()
	qs, err := filepath.Abs("../../testdata/quickstart")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src := `name: gate-test
output: ` + filepath.Join(dir, "run") + `
teacher:
  path: ` + filepath.Join(qs, "teacher.bin") + `
  tokenizer: ` + filepath.Join(qs, "tokenizer.bin") + `
data:
  train: ` + filepath.Join(qs, "valid.txt") + `
  validation: ` + filepath.Join(qs, "valid.txt") + `
  seq_len: 32
student:
  every_k: 2
  init: teacher_layers
distillation:
  loss: kl
  temperature: 1.0
training:
  steps: 3
  batch_size: 2
  seed: 1
  eval_every: 3
evaluation:
  metrics: [ppl, kl, agreement]
  context: 32
gates:
` + gates
	path := filepath.Join(dir, "recipe.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRunGateExitCodes(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a student for a few steps")
	}
	cases := []struct {
		name  string
		gates string
		code  int
		want  string
	}{
		{"pass", "  ppl_ratio_max: 1000\n", exitOK, "PASS"},
		{"impossible", "  student_ppl_max: 1.0\n", exitGateFailed, "student_ppl_max"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := gateRecipe(t, c.gates)
			var stdout, stderr bytes.Buffer
			code := run([]string{"distill", "--progress", "none", "run", path}, &stdout, &stderr, teacherHooks())
			out := stdout.String() + stderr.String()
			if code != c.code {
				t.Fatalf("exit code %d, want %d\n%s", code, c.code, out)
			}
			if !strings.Contains(out, c.want) {
				t.Errorf("output does not mention %q:\n%s", c.want, out)
			}
		})
	}
}

func TestRunMalformedRecipeIsError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(path, []byte("name: x\nteachr:\n  path: nowhere\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"distill", "run", path}, &stdout, &stderr, teacherHooks())
	if code != exitError {
		t.Fatalf("exit code %d, want %d", code, exitError)
	}
	if msg := stderr.String(); !strings.Contains(msg, "bad.yaml:2:1") {
		t.Errorf("error does not give the position bad.yaml:2:1: %s", msg)
	}
}
