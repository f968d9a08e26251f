package recipe

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/internal/formattest"
)

// repoRoot is the module root: tests run in the package folder, recipe/.
func repoRoot(*testing.T) string { return ".." }

var shipped = []string{"quickstart.yaml", "tinystories.yaml", "llama-hf.yaml"}

func TestSchemaUpToDate(t *testing.T) {
	want, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(want, &v); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	if v["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v", v["$schema"])
	}
	path := filepath.Join(repoRoot(t), "recipes", "schema.json")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (create it with: go generate ./recipe)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("recipes/schema.json is stale: the recipe types changed. Regenerate it with\n\tgo generate ./recipe\n(or: go run ./recipe/internal/genschema -o recipes/schema.json)")
	}
}

// TestShippedRecipesParse parses every recipe in recipes/ and validates it
// without looking at files (they are machine-specific).
func TestShippedRecipesParse(t *testing.T) {
	root := repoRoot(t)
	t.Setenv("DISTILL_DATA", "/data")
	t.Setenv("HF_TEACHER", "/models/llama")
	for _, name := range shipped {
		path := filepath.Join(root, "recipes", name)
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(src, []byte("# yaml-language-server: $schema=./schema.json\n")) {
			t.Errorf("%s does not start with the yaml-language-server schema comment", name)
		}
		r, err := Load(path)
		if err != nil {
			t.Errorf("%s:\n%v", name, err)
			continue
		}
		if err := r.Validate(ValidateContext{SkipFiles: true}); err != nil {
			t.Errorf("%s:\n%v", name, err)
		}
	}
	entries, err := filepath.Glob(filepath.Join(root, "recipes", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(shipped) {
		t.Errorf("recipes/ holds %d recipes, the test knows %d: add the new one to shipped", len(entries), len(shipped))
	}
}

// TestQuickstartValidates validates quickstart.yaml where it is, against
// the committed stories3M teacher's shape (the CLI tests and CI's quickstart
// run load the file itself).
func TestQuickstartValidates(t *testing.T) {
	root := repoRoot(t)
	stories3M := TeacherInfo{Config: llama(4, 256, 8, 4, 768, 1024, 512, true), TokenizerVocab: 1024}
	r, err := LoadAndValidate(filepath.Join(root, "recipes", "quickstart.yaml"),
		ValidateContext{Teacher: func(Teacher) (TeacherInfo, error) { return stories3M, nil }})
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(abs, "testdata", "stories3M", "stories3M.gguf"); string(r.Teacher.Path) != want {
		t.Errorf("teacher path %s, want %s", r.Teacher.Path, want)
	}
	if want := filepath.Join(abs, "runs", "quickstart"); string(r.Output) != want {
		t.Errorf("output %s, want %s", r.Output, want)
	}
	sc, layers, err := r.Student.Resolve(stories3M)
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 2 || sc.Dim%256 != 0 || sc.HiddenDim%256 != 0 {
		t.Errorf("student %s from layers %v: want 2 layers of 256-multiple widths (real k-quants)", sc, layers)
	}
}

// TestTinyStoriesRealTeacher validates tinystories.yaml against the real
// stories3M teacher, reading its shape from the GGUF, and checks that the
// student has at most half the teacher's parameters and widths that fit
// 256-element k-quant blocks.
func TestTinyStoriesRealTeacher(t *testing.T) {
	root := repoRoot(t)
	data := formattest.SharedData(t)
	t.Setenv("DISTILL_DATA", data)
	var info TeacherInfo
	hook := func(tt Teacher) (TeacherInfo, error) {
		in, err := checkpoint.Inspect(string(tt.Path))
		if err != nil {
			return TeacherInfo{}, err
		}
		info = TeacherInfo{Config: in.Config}
		return info, nil
	}
	r, err := LoadAndValidate(filepath.Join(root, "recipes", "tinystories.yaml"), ValidateContext{Teacher: hook})
	if err != nil {
		t.Fatal(err)
	}
	sc, layers, err := r.Student.Resolve(info)
	if err != nil {
		t.Fatal(err)
	}
	if sp, tp := sc.NumParams(), info.Config.NumParams(); 2*sp > tp {
		t.Errorf("student has %d parameters, more than half the teacher's %d", sp, tp)
	} else {
		t.Logf("student %d layers %v, %d params; teacher %d params (%.2fx)", len(layers), layers, sp, tp, float64(sp)/float64(tp))
	}
	if sc.Dim%256 != 0 || sc.HiddenDim%256 != 0 {
		t.Errorf("student %s: widths must be multiples of 256 for real k-quants", sc)
	}
}

func TestLlamaHFValidates(t *testing.T) {
	root := repoRoot(t)
	tmp := t.TempDir()
	for _, f := range []string{"model/config.json", "data/corpus/train.jsonl"} {
		p := filepath.Join(tmp, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(`{"text": "x"}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("HF_TEACHER", filepath.Join(tmp, "model"))
	t.Setenv("DISTILL_DATA", filepath.Join(tmp, "data"))
	t.Setenv("DISTILL_RUNS", filepath.Join(tmp, "runs"))
	tinyLlama := TeacherInfo{Config: llama(22, 2048, 32, 4, 5632, 32000, 2048, false), TokenizerVocab: 32000}
	r, err := LoadAndValidate(filepath.Join(root, "recipes", "llama-hf.yaml"),
		ValidateContext{Teacher: func(Teacher) (TeacherInfo, error) { return tinyLlama, nil }})
	if err != nil {
		t.Fatal(err)
	}
	if string(r.Output) != filepath.Join(tmp, "runs", "llama-hf") {
		t.Errorf("output = %s", r.Output)
	}
	if f, err := r.Teacher.DetectFormat(); err != nil || f != FormatHF {
		t.Errorf("format %q, %v", f, err)
	}
	if got, want := r.Steps(), (200000000+8*8*1024-1)/(8*8*1024); got != want {
		t.Errorf("steps = %d, want %d", got, want)
	}
}

func TestCanonical(t *testing.T) {
	a := minimal + `# comment
distillation: {loss: mix, temperature: 2.0}
evaluation: {metrics: [ppl, kl, agreement]}
`
	b := `student: {every_k: 2, init: teacher_layers}
training:
  steps: 10
  optimizer: {lr: 5.0e-4, betas: [0.9, 0.95]}
data: {train: ./train.txt, seq_len: 256}
teacher: {path: t.bin, format: auto}
`
	ra, err := parse("/r/x.yaml", []byte(a), lookupIn(nil))
	if err != nil {
		t.Fatal(err)
	}
	rb, err := parse("/r/x.yaml", []byte(b), lookupIn(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, secs := range [][]string{nil, {"teacher"}, {"training", "student"}} {
		ca, err := ra.Canonical(secs...)
		if err != nil {
			t.Fatal(err)
		}
		cb, _ := rb.Canonical(secs...)
		if !bytes.Equal(ca, cb) {
			t.Errorf("Canonical(%q) differs:\n%s\n%s", secs, ca, cb)
		}
	}
	c, _ := ra.Canonical("training", "student")
	if !strings.HasPrefix(string(c), `{"training":{"optimizer":{"name":"adamw","lr":0.0005,`) {
		t.Errorf("Canonical(training, student) = %s", c)
	}
	rc, _ := parse("/r/x.yaml", []byte(strings.Replace(b, "lr: 5.0e-4", "lr: 6.0e-4", 1)), lookupIn(nil))
	ca, _ := ra.Canonical("training")
	cc, _ := rc.Canonical("training")
	if bytes.Equal(ca, cc) {
		t.Error("a changed lr gives the same canonical training section")
	}
	defer func() {
		if recover() == nil {
			t.Error("unknown section did not panic")
		}
	}()
	ra.Canonical("nope")
}
