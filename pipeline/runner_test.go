package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSkipAndInvalidate runs the fake pipeline repeatedly, changing one
// thing each time, and checks which stages ran (run counts per stage, in
// order teach train eval quantize export report).
func TestSkipAndInvalidate(t *testing.T) {
	dir := t.TempDir()
	fs := fakePipeline()
	ctx := context.Background()
	steps := []struct {
		what  string
		extra string // recipe YAML
		opts  Options
		edit  func()
		want  string
	}{
		{what: "first run", want: "111111"},
		{what: "unchanged", want: "111111"},
		{what: "comment and default written out", extra: "# x\nevaluation: {metrics: [ppl, kl, agreement]}\n", want: "111111"},
		{what: "training changed", extra: "training: {steps: 20}\n", want: "122222"},
		{what: "eval output tampered", extra: "training: {steps: 20}\n", edit: func() {
			os.WriteFile(filepath.Join(dir, "eval", "out.txt"), []byte("x"), 0o644)
		}, want: "123333"},
		{what: "quantize output removed", extra: "training: {steps: 20}\n", edit: func() {
			os.Remove(filepath.Join(dir, "quantize", "out.txt"))
		}, want: "123444"},
		{what: "--from export", extra: "training: {steps: 20}\n", opts: Options{From: StageExport}, want: "123455"},
		{what: "--only eval", extra: "training: {steps: 20}\n", opts: Options{Only: StageEval}, want: "124455"},
		{what: "downstream of --only re-runs", extra: "training: {steps: 20}\n", want: "124566"},
		{what: "gates changed", extra: "training: {steps: 20}\ngates: {kl_max: 1}\n", want: "124567"},
	}
	for _, s := range steps {
		if s.edit != nil {
			s.edit()
		}
		s.opts.Stages = asStages(fs)
		var out bytes.Buffer
		s.opts.Out = &out
		if err := Run(ctx, testRecipe(t, dir, s.extra), s.opts); err != nil && !errors.As(err, new(*GateError)) {
			t.Fatalf("%s: %v", s.what, err)
		}
		if got := runs(fs); got != s.want {
			t.Fatalf("%s: runs %s, want %s\n%s", s.what, got, s.want, out.String())
		}
	}
}

func TestOnlyNeedsUpstream(t *testing.T) {
	dir := t.TempDir()
	err := Run(context.Background(), testRecipe(t, dir, ""), Options{Only: StageTrain, Stages: asStages(fakePipeline())})
	if err == nil || !strings.Contains(err.Error(), "stage train needs the outputs of stage teach") {
		t.Fatalf("err = %v", err)
	}
	err = Run(context.Background(), testRecipe(t, dir, ""), Options{From: "bogus", Stages: asStages(fakePipeline())})
	if err == nil || !strings.Contains(err.Error(), "--from bogus: no such stage") {
		t.Fatalf("err = %v", err)
	}
}

// TestFailureRecorded checks that a failing stage is recorded with its
// error, returns an error mapped to ExitError, and is resumed next time.
func TestFailureRecorded(t *testing.T) {
	dir := t.TempDir()
	fs := fakePipeline()
	fs[2].fail = errors.New("out of memory")
	r := testRecipe(t, dir, "")
	err := Run(context.Background(), r, Options{Stages: asStages(fs)})
	if err == nil || ExitCode(err) != ExitError || !strings.Contains(err.Error(), "stage eval: out of memory") {
		t.Fatalf("err = %v (exit %d)", err, ExitCode(err))
	}
	m, err := LoadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if rec := m.Stage(StageEval); rec.Status != StatusFailed || rec.Error != "out of memory" || rec.Finished == nil {
		t.Errorf("eval record %+v", rec)
	}
	if rec := m.Stage(StageQuantize); rec != nil {
		t.Errorf("quantize recorded after a failure: %+v", rec)
	}
	fs[2].fail = nil
	if err := Run(context.Background(), r, Options{Stages: asStages(fs)}); err != nil {
		t.Fatal(err)
	}
	if got := runs(fs); got != "112111" || fs[2].resumed != 1 {
		t.Errorf("runs %s, eval resumed %d times", got, fs[2].resumed)
	}
}

// TestManifestWrittenAtomically reads the manifest from disk while a stage
// runs: it must be complete JSON that says the stage is running, and no
// temporary file may be left once the run ends.
func TestManifestWrittenAtomically(t *testing.T) {
	dir := t.TempDir()
	var seen string
	probe := &probeStage{fakeStage: fakeStage{name: StageTrain}, probe: func() {
		b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
		if err != nil {
			t.Error(err)
			return
		}
		var m Manifest
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("manifest mid-run: %v", err)
		}
		seen = m.Stage(StageTrain).Status
	}}
	stages := []Stage{&fakeStage{name: StageTeach, sections: []string{"teacher"}}, probe}
	if err := Run(context.Background(), testRecipe(t, dir, ""), Options{Stages: stages}); err != nil {
		t.Fatal(err)
	}
	if seen != StatusRunning {
		t.Errorf("status mid-run %q, want running", seen)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.Type().IsRegular() && e.Name() != ManifestFile && e.Name() != SummaryFile && e.Name() != LockFile {
			t.Errorf("stray file %s in the run directory", e.Name())
		}
	}
	m, _ := LoadManifest(dir)
	rec := m.Stage(StageTrain)
	if rec.Status != StatusDone || len(rec.Outputs) != 1 || rec.Outputs[0].Path != "train/out.txt" || len(rec.Outputs[0].SHA256) != 64 || rec.Outputs[0].Size == 0 {
		t.Errorf("train record %+v", rec)
	}
}

type probeStage struct {
	fakeStage
	probe func()
}

func (p *probeStage) Run(ctx context.Context, env *Env) ([]string, error) {
	p.probe()
	return p.fakeStage.Run(ctx, env)
}

func TestDryRun(t *testing.T) {
	dir := t.TempDir()
	fs := fakePipeline()
	r := testRecipe(t, dir, "")
	if err := Run(context.Background(), r, Options{Stages: asStages(fs)}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	r = testRecipe(t, dir, "evaluation: {context: 32}\n")
	if err := Run(context.Background(), r, Options{DryRun: true, Out: &out, Stages: asStages(fs)}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"teach     skip  up to date",
		"eval      run   inputs changed: recipe.evaluation",
		"report    run   upstream stage eval runs",
		"memory estimate: unavailable", // the fake recipe's teacher does not exist
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("plan lacks %q:\n%s", want, out.String())
		}
	}
	if got := runs(fs); got != "111111" {
		t.Errorf("dry run ran stages: %s", got)
	}
}

// TestInputFiles checks that a stage re-runs when an input file's content
// changes (a file or a file inside an input folder), and not when only its
// modification time does.
func TestInputFiles(t *testing.T) {
	dir := t.TempDir()
	data, hf := filepath.Join(dir, "train.txt"), filepath.Join(dir, "hf")
	os.WriteFile(data, []byte("once upon a time"), 0o644)
	os.MkdirAll(hf, 0o755)
	os.WriteFile(filepath.Join(hf, "config.json"), []byte("{}"), 0o644)
	fs := []*fakeStage{{name: StageTeach, files: []string{hf}}, {name: StageTrain, files: []string{data}}}
	r := testRecipe(t, filepath.Join(dir, "run"), "")
	for _, s := range []struct {
		edit func()
		want string
	}{
		{func() {}, "11"},
		{func() { now := time.Now().Add(time.Hour); os.Chtimes(data, now, now) }, "11"},
		{func() { os.WriteFile(data, []byte("once upon a time."), 0o644) }, "12"},
		{func() { os.WriteFile(filepath.Join(hf, "model.safetensors"), []byte("w"), 0o644) }, "23"},
	} {
		s.edit()
		if err := Run(context.Background(), r, Options{Stages: asStages(fs)}); err != nil {
			t.Fatal(err)
		}
		if got := runs(fs); got != s.want {
			t.Fatalf("runs %s, want %s", got, s.want)
		}
	}
}
