package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runDistill runs distill in-process with the real loaders and returns the
// exit code and stderr.
func runDistill(args ...string) (int, string) {
	var out, errb bytes.Buffer
	code := run(append([]string{"distill", "--progress", "none"}, args...), &out, &errb, teacherHooks())
	return code, errb.String()
}

// quickstartCopy copies the embedded quickstart teacher and its tokenizer
// into a temporary folder.
func quickstartCopy(t *testing.T) (dir, model string) {
	t.Helper()
	dir = t.TempDir()
	for _, f := range []string{"teacher.bin", "tokenizer.bin"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "quickstart", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, filepath.Join(dir, "teacher.bin")
}

func TestGuardOutput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "model.bin")
	os.WriteFile(in, []byte("x"), 0o644)
	os.Symlink(in, filepath.Join(dir, "link.bin"))
	os.Link(in, filepath.Join(dir, "hard.bin"))
	os.Mkdir(filepath.Join(dir, "empty"), 0o755)
	os.MkdirAll(filepath.Join(dir, "full", "x"), 0o755)
	cases := []struct {
		out   string
		force bool
		want  string // "" = allowed
	}{
		{"new.gguf", false, ""},
		{"model.bin", true, "would overwrite the input"},
		{"./sub/../model.bin", true, "would overwrite the input"},
		{"link.bin", true, "would overwrite the input"},
		{"hard.bin", true, "would overwrite the input"},
		{".", true, "would overwrite the input"}, // a folder holding the input
		{"empty", false, ""},
		{"full", false, "non-empty folder: pass --force"},
		{"full", true, ""},
		{"new/deeper", false, ""},
	}
	for _, c := range cases {
		err := guardOutput("--out", filepath.Join(dir, c.out), c.force, in)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("--out %s force=%v: err = %v, want %q", c.out, c.force, err, c.want)
		}
	}
	os.WriteFile(filepath.Join(dir, "old.gguf"), nil, 0o644)
	if err := guardOutput("--out", filepath.Join(dir, "old.gguf"), false, in); err == nil || !strings.Contains(err.Error(), "already exists: pass --force") {
		t.Errorf("existing file: %v", err)
	}
}

// TestExportNeverOverwritesItsInput is the issue's `export M --out M`.
func TestExportNeverOverwritesItsInput(t *testing.T) {
	dir, model := quickstartCopy(t)
	before, _ := os.ReadFile(model)
	for _, args := range [][]string{
		{"export", model, "--format", "gguf", "--out", model, "--force"},
		{"export", model, "--format", "safetensors", "--out", dir, "--force"},
		{"quantize", model, "--method", "q8_0", "--data", model, "--out", model, "--force"},
	} {
		code, stderr := runDistill(args...)
		if code == 0 || !strings.Contains(stderr, "would overwrite the input") {
			t.Errorf("%q: exit %d, %s", args, code, stderr)
		}
	}
	if after, _ := os.ReadFile(model); !bytes.Equal(before, after) {
		t.Fatal("the input model changed")
	}
	out := filepath.Join(dir, "m.gguf")
	if code, stderr := runDistill("export", model, "--format", "gguf", "--out", out); code != 0 {
		t.Fatal(stderr)
	}
	if code, stderr := runDistill("export", model, "--format", "gguf", "--out", out); code == 0 || !strings.Contains(stderr, "--force") {
		t.Errorf("second export over an existing file: exit %d, %s", code, stderr)
	}
	if code, stderr := runDistill("export", model, "--format", "gguf", "--out", out, "--force"); code != 0 {
		t.Errorf("--force: %s", stderr)
	}
}

// TestTrainAsksBeforeReplacing: train --out DIR that holds something needs
// --resume or --force (checked before anything is loaded).
func TestTrainAsksBeforeReplacing(t *testing.T) {
	out := t.TempDir()
	os.WriteFile(filepath.Join(out, "model.safetensors"), []byte("a student"), 0o644)
	code, stderr := runDistill("train", "missing-teacher.bin", "--data", "missing.txt", "--out", out)
	if code == 0 || !strings.Contains(stderr, "--force") || !strings.Contains(stderr, "--resume") {
		t.Errorf("exit %d, %s", code, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "model.safetensors")); string(b) != "a student" {
		t.Error("the existing student changed")
	}
}

// TestTeachAsksBeforeReplacingACache: a cache made with another seq-len is
// not silently overwritten; the same cache resumes without --force.
func TestTeachAsksBeforeReplacingACache(t *testing.T) {
	dir, model := quickstartCopy(t)
	data := filepath.Join(dir, "data.txt")
	os.WriteFile(data, bytes.Repeat([]byte("Once upon a time there was a cat. "), 20), 0o644)
	out := filepath.Join(dir, "cache")
	teach := func(seqLen string, extra ...string) (int, string) {
		return runDistill(append([]string{"teach", model, "--data", data, "--out", out, "--seq-len", seqLen, "--top-k", "4"}, extra...)...)
	}
	if code, stderr := teach("32"); code != 0 {
		t.Fatal(stderr)
	}
	if code, stderr := teach("32"); code != 0 {
		t.Fatalf("resuming the same cache: %s", stderr)
	}
	if code, stderr := teach("16"); code == 0 || !strings.Contains(stderr, "--force") || !strings.Contains(stderr, "seq_len") {
		t.Fatalf("another seq-len: exit %d, %s", code, stderr)
	}
	if code, stderr := teach("16", "--force"); code != 0 {
		t.Fatalf("--force: %s", stderr)
	}
}
