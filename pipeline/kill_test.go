package pipeline

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	_ "github.com/distill-dev/distill/kernels/cpu"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/distill-dev/distill/internal/formattest"
	"github.com/distill-dev/distill/recipe"
)

// The kill tests re-execute the test binary as the process to kill: with
// helperEnv set, TestMain runs one pipeline instead of the tests.
const helperEnv = "PIPELINE_KILL_HELPER"

func TestMain(m *testing.M) {
	if spec := os.Getenv(helperEnv); spec != "" {
		os.Exit(helper(spec))
	}
	os.Exit(m.Run())
}

// helper runs "fake DIR" (the fake pipeline with a slow train stage) or
// "real RECIPE" (the real stages) and returns the exit code.
func helper(spec string) int {
	kind, arg, _ := strings.Cut(spec, " ")
	var err error
	switch kind {
	case "fake":
		err = Run(context.Background(), testRecipe(&testing.T{}, arg, ""), Options{Stages: asStages(slowPipeline(20 * time.Millisecond))})
	case "real":
		var r *recipe.Recipe
		if r, err = recipe.Load(arg); err == nil {
			err = Run(context.Background(), r, Options{})
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	return ExitCode(err)
}

func slowPipeline(delay time.Duration) []*fakeStage {
	fs := fakePipeline()
	fs[1].steps, fs[1].delay = 40, delay
	return fs
}

// killWhen starts the helper on spec, waits until ready() holds, SIGKILLs it
// and reports whether it was still running then.
func killWhen(t *testing.T, spec string, ready func() bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+spec)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(60 * time.Second)
	for !ready() {
		select {
		case err := <-done:
			t.Fatalf("helper ended before it could be killed: %v\n%s", err, stderr.String())
		case <-deadline:
			cmd.Process.Kill()
			t.Fatal("helper never reached the kill point")
		case <-time.After(5 * time.Millisecond):
		}
	}
	if err := cmd.Process.Signal(os.Kill); err != nil {
		t.Fatal(err)
	}
	<-done
}

// TestKillResumeFake SIGKILLs a run in the middle of its long stage, resumes
// it, and compares every output with an uninterrupted run.
func TestKillResumeFake(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, StageTrain, "state")
	killWhen(t, "fake "+dir, func() bool {
		b, _ := os.ReadFile(state)
		n, _ := strconv.Atoi(string(b))
		return n >= 5
	})
	m, err := LoadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if rec := m.Stage(StageTrain); rec == nil || rec.Status != StatusRunning {
		t.Fatalf("train after the kill: %+v", rec)
	}
	fs := slowPipeline(0)
	if err := Run(context.Background(), testRecipe(t, dir, ""), Options{Stages: asStages(fs)}); err != nil {
		t.Fatal(err)
	}
	if got := runs(fs); got != "011111" || fs[1].resumed != 1 {
		t.Errorf("after the kill: runs %s, train resumed %d", got, fs[1].resumed)
	}
	ref := t.TempDir()
	if err := Run(context.Background(), testRecipe(t, ref, ""), Options{Stages: asStages(slowPipeline(0))}); err != nil {
		t.Fatal(err)
	}
	for i, s := range fakePipeline() {
		must := "steps 40" // train's count, which every later stage's output includes
		if i == 0 {
			must = "steps 0"
		}
		sameFile(t, filepath.Join(dir, s.name, "out.txt"), filepath.Join(ref, s.name, "out.txt"), must)
	}
}

// sameFile compares two outputs up to the run directory's name in them.
func sameFile(t *testing.T, a, b, must string) {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	strip := func(s []byte, p string) string {
		return strings.ReplaceAll(string(s), filepath.Dir(filepath.Dir(p)), "RUN")
	}
	if strip(x, a) != strip(y, b) {
		t.Errorf("%s differs from the uninterrupted run", a)
	}
	if !strings.Contains(string(x), must) {
		t.Errorf("%s lacks %q", a, must)
	}
}

// realRecipe writes a small stories260K recipe into dir; over replaces
// whole top-level sections (flow YAML).
func realRecipe(t *testing.T, dir, data string, over map[string]string) string {
	t.Helper()
	for _, f := range []struct{ name, src string }{{"train.txt", "train-head.txt"}, {"valid.txt", "valid-head.txt"}} {
		b, err := os.ReadFile(filepath.Join(data, "tinystories", f.src))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), b[:min(len(b), 120000)], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st := filepath.Join(data, "stories260K")
	sections := []struct{ key, val string }{
		{"name", "kill"},
		{"output", "run"},
		{"teacher", fmt.Sprintf("{path: %s/stories260K.bin, tokenizer: %s/tok512.bin}", st, st)},
		{"data", "{train: train.txt, validation: valid.txt, seq_len: 64}"},
		{"student", "{every_k: 2}"},
		{"distillation", "{loss: mix, alpha: 0.7}"},
		{"training", "{steps: 60, batch_size: 4, checkpoint_every: 10, eval_every: 20, optimizer: {lr: 1.0e-3}}"},
		{"evaluation", "{context: 64, max_tokens: 2000}"},
		{"quantization", "{methods: [q8_0]}"},
		{"export", "[{format: gguf, dtype: q8_0}]"},
		{"gates", "{}"},
	}
	var b strings.Builder
	for _, s := range sections {
		v := s.val
		if o, ok := over[s.key]; ok {
			v = o
		}
		fmt.Fprintf(&b, "%s: %s\n", s.key, v)
	}
	path := filepath.Join(dir, "recipe.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestKillResumeTraining is issue 5's check: SIGKILL the runner in the
// middle of training, resume, and reach the same weights and metrics as an
// uninterrupted run. The uninterrupted run also has an impossible gate,
// which must fail with ExitGateFailed naming the gate.
func TestKillResumeTraining(t *testing.T) {
	if testing.Short() {
		t.Skip("pipeline: trains twice (a few seconds)")
	}
	data := formattest.SharedData(t)
	impossible := map[string]string{"gates": "{student_ppl_max: 1.0001, agreement_min: 0.01}"}
	ref := t.TempDir()
	r, err := recipe.Load(realRecipe(t, ref, data, impossible))
	if err != nil {
		t.Fatal(err)
	}
	err = Run(context.Background(), r, Options{})
	var ge *GateError
	if !errors.As(err, &ge) || ExitCode(err) != ExitGateFailed || len(ge.Failed) != 1 || !strings.Contains(err.Error(), "student_ppl_max") {
		t.Fatalf("impossible gate: err = %v (exit %d)", err, ExitCode(err))
	}

	dir := t.TempDir()
	path := realRecipe(t, dir, data, impossible)
	state := filepath.Join(dir, "run", CheckpointDir, "trainer_state.json")
	killWhen(t, "real "+path, func() bool {
		var st struct{ Step int }
		_, err := readJSON(state, &st)
		return err == nil && st.Step >= 20
	})
	m, err := LoadManifest(filepath.Join(dir, "run"))
	if err != nil {
		t.Fatal(err)
	}
	if rec := m.Stage(StageTrain); rec == nil || rec.Status != StatusRunning {
		t.Fatalf("train after the kill: %+v", rec)
	}
	r2, err := recipe.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Run(context.Background(), r2, Options{Out: &out}); ExitCode(err) != ExitGateFailed {
		t.Fatalf("resumed run: %v", err)
	}
	if !strings.Contains(out.String(), "train     run: interrupted: resuming") {
		t.Errorf("train was not resumed:\n%s", out.String())
	}
	a, _ := os.ReadFile(filepath.Join(dir, "run", StudentModel))
	b, _ := os.ReadFile(filepath.Join(ref, "run", StudentModel))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("student weights differ from the uninterrupted run")
	}
	var s1, s2 Summary
	readJSON(filepath.Join(dir, "run", SummaryFile), &s1)
	readJSON(filepath.Join(ref, "run", SummaryFile), &s2)
	if s1.Student == nil || s2.Student == nil || s1.Student.PPL != s2.Student.PPL || *s1.Student.KL != *s2.Student.KL ||
		s1.Quantized[0].PPL != s2.Quantized[0].PPL || s1.Training.FinalLoss != s2.Training.FinalLoss || s1.Training.Steps != 60 {
		t.Errorf("metrics differ from the uninterrupted run:\n%+v\n%+v", s1.Student, s2.Student)
	}
	// TensorBoard: the version record, then each step and validation once.
	evs, _ := filepath.Glob(filepath.Join(dir, "run", TensorBoardDir, "events.out.tfevents.*"))
	if len(evs) != 1 {
		t.Fatalf("event files %v", evs)
	}
	if n := countRecords(t, evs[0]); n != 1+60+3 {
		t.Errorf("%d TensorBoard records after resuming, want 64", n)
	}
	rows1, _ := ReadMetrics(filepath.Join(dir, "run", TrainMetricsFile))
	rows2, _ := ReadMetrics(filepath.Join(ref, "run", TrainMetricsFile))
	if len(rows1) != len(rows2) {
		t.Fatalf("%d metric rows after resuming, %d uninterrupted", len(rows1), len(rows2))
	}
	for i := range rows1 {
		if rows1[i]["step"] != rows2[i]["step"] || rows1[i]["loss"] != rows2[i]["loss"] || rows1[i]["val_ppl"] != rows2[i]["val_ppl"] {
			t.Errorf("metric row %d: %v vs %v", i, rows1[i], rows2[i])
		}
	}
}

// countRecords counts the records of an event file by their framing.
func countRecords(t *testing.T, path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for len(b) >= 12 {
		l := binary.LittleEndian.Uint64(b)
		if uint64(len(b)) < 16+l {
			t.Fatalf("%s: torn record", path)
		}
		b = b[16+l:]
		n++
	}
	if len(b) != 0 {
		t.Fatalf("%s: %d trailing bytes", path, len(b))
	}
	return n
}

// TestRealVariants runs the real stages with cached soft labels, and with
// importance init of a narrower student plus a hidden-state loss; a second
// run must skip every stage.
func TestRealVariants(t *testing.T) {
	if testing.Short() {
		t.Skip("pipeline: trains twice (a few seconds)")
	}
	data := formattest.SharedData(t)
	for _, tc := range []struct {
		name string
		over map[string]string
		want []string // outputs that must be recorded
	}{
		{"cached soft labels", map[string]string{
			"distillation": "{loss: kl, temperature: 2, soft_labels: {mode: cached, top_k: 8}}",
			"training":     "{steps: 10, batch_size: 4, checkpoint_every: 5}",
		}, []string{"soft_labels/manifest.json", "soft_labels/soft-00000.safetensors"}},
		{"importance and hidden", map[string]string{
			"student":      "{n_layers: 2, dim: 32, n_heads: 4, n_kv_heads: 4, hidden_dim: 96, init: importance, calibration_batches: 2}",
			"distillation": "{loss: mix, alpha: 0.5, hidden: {loss: mse, weight: 0.1}}",
			"training":     "{steps: 10, batch_size: 4, checkpoint_every: 5}",
		}, []string{StudentModel}},
		{"planner and gptq onto gguf", map[string]string{
			"training":     "{steps: 10, batch_size: 4, checkpoint_every: 5}",
			"quantization": "{methods: [{method: plan, target_kl: 0.05, calibration_samples: 8}, {method: q8_0, gptq: true, calibration_samples: 8}]}",
			"gates":        "{methods: {plan-kl0.05: {quant_kl_max: 0.5}}}",
		}, []string{"quantize/plan-kl0.05.gguf", "quantize/gptq-q8_0.gguf"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			r, err := Load(realRecipe(t, dir, data, tc.over))
			if err != nil {
				t.Fatal(err)
			}
			if err := Run(context.Background(), r, Options{}); err != nil {
				t.Fatal(err)
			}
			m, _ := LoadManifest(string(r.Output))
			var got []string
			for _, rec := range m.Stages {
				for _, o := range rec.Outputs {
					got = append(got, o.Path)
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(strings.Join(got, " "), w) {
					t.Errorf("outputs %v lack %s", got, w)
				}
			}
			var out bytes.Buffer
			if err := Run(context.Background(), r, Options{Out: &out}); err != nil {
				t.Fatal(err)
			}
			if strings.Count(out.String(), "skip: up to date") != 6 {
				t.Errorf("second run:\n%s", out.String())
			}
		})
	}
}
