package pipeline

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/distill-dev/distill/recipe"
)

// userFiles writes files a user owns under root (paths relative to it)
// and returns a check that each is still there, unchanged.
func userFiles(t *testing.T, root string, names ...string) func() {
	t.Helper()
	for _, n := range names {
		p := filepath.Join(root, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("user data "+n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return func() {
		t.Helper()
		for _, n := range names {
			b, err := os.ReadFile(filepath.Join(root, n))
			if err != nil || string(b) != "user data "+n {
				t.Errorf("user file %s was changed or deleted (%q, %v)", n, b, err)
			}
		}
	}
}

// TestForeignOutputRefused: an existing non-empty folder without a manifest
// (for example `output: ../../`) is refused; with --force distill writes
// there but deletes nothing it did not create.
func TestForeignOutputRefused(t *testing.T) {
	root := t.TempDir()
	intact := userFiles(t, root, "notes.txt", "train/model.bin", "report/report.md")
	recipeDir := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(recipeDir, 0o755); err != nil {
		t.Fatal(err)
	}
	src := "name: fake\noutput: ../../\nteacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {every_k: 2}\n"
	r, err := recipe.Parse(filepath.Join(recipeDir, "recipe.yaml"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got := filepath.Clean(string(r.Output)); got != root {
		t.Fatalf("output resolves to %s, want %s", got, root)
	}
	for _, dry := range []bool{true, false} {
		err := Run(context.Background(), r, Options{Stages: asStages(fakePipeline()), DryRun: dry})
		if err == nil || !strings.Contains(err.Error(), "not a distill run directory") || !strings.Contains(err.Error(), "--force") {
			t.Fatalf("dry-run %v: err = %v, want a refusal naming --force", dry, err)
		}
	}
	intact()
	fs := fakePipeline()
	err = Run(context.Background(), r, Options{Stages: asStages(fs), Force: true})
	if err == nil || !strings.Contains(err.Error(), "was not created by distill") {
		t.Fatalf("--force into a folder holding train/: err = %v", err)
	}
	if got := runs(fs); got != "100000" {
		t.Errorf("runs %s, want only teach before the refusal", got)
	}
	intact()
	if _, err := os.Stat(filepath.Join(root, ManifestFile)); err != nil {
		t.Errorf("adopted folder has no manifest: %v", err)
	}
}

// TestOnlyRecordedStageDirsDeleted: a stage folder is emptied before a
// fresh run only when the manifest records it as distill's.
func TestOnlyRecordedStageDirsDeleted(t *testing.T) {
	dir := t.TempDir()
	fs := fakePipeline()
	if err := Run(context.Background(), testRecipe(t, dir, ""), Options{Stages: asStages(fs)}); err != nil {
		t.Fatal(err)
	}
	// The manifest loses its eval record (an older distill, a hand edit):
	// eval/ is no longer known to be distill's and must survive.
	m, _ := LoadManifest(dir)
	for i, s := range m.Stages {
		if s.Name == StageEval {
			m.Stages = append(m.Stages[:i], m.Stages[i+1:]...)
			break
		}
	}
	if err := m.Save(); err != nil {
		t.Fatal(err)
	}
	intact := userFiles(t, dir, "eval/mine.txt")
	err := Run(context.Background(), testRecipe(t, dir, "training: {steps: 20}\n"), Options{Stages: asStages(fs)})
	if err == nil || !strings.Contains(err.Error(), "eval") || !strings.Contains(err.Error(), "not created by distill") {
		t.Fatalf("err = %v", err)
	}
	intact()
	// Recorded stage folders are distill's: train/ was emptied and rewritten.
	if _, err := os.Stat(filepath.Join(dir, "train", "out.txt")); err != nil {
		t.Errorf("train output: %v", err)
	}
}

// TestRunDirLocked: a second run into a directory in use fails at once,
// naming the first run's pid.
func TestRunDirLocked(t *testing.T) {
	dir := t.TempDir()
	release, err := lockRunDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fs := fakePipeline()
	err = Run(context.Background(), testRecipe(t, dir, ""), Options{Stages: asStages(fs)})
	if !errors.Is(err, ErrRunLocked) || !strings.Contains(err.Error(), "process "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("err = %v, want ErrRunLocked naming pid %d", err, os.Getpid())
	}
	if got := runs(fs); got != "000000" {
		t.Errorf("runs %s while locked", got)
	}
	release()
	if err := Run(context.Background(), testRecipe(t, dir, ""), Options{Stages: asStages(fs)}); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

// TestRunEndsWithWhere: a completed run ends by naming where its results
// are; a failed stage's error says what to do next.
func TestRunEndsWithWhere(t *testing.T) {
	dir := t.TempDir()
	var out strings.Builder
	if err := Run(context.Background(), testRecipe(t, dir, ""), Options{Stages: asStages(fakePipeline()), Out: &out}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"results in " + dir, SummaryFile, ReportFile} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	fs := fakePipeline()
	fs[1].fail = errors.New("disk full")
	err := Run(context.Background(), testRecipe(t, t.TempDir(), ""), Options{Stages: asStages(fs)})
	if err == nil || !strings.Contains(err.Error(), "run the same command again") {
		t.Errorf("err = %v", err)
	}
}

func TestCheckTeacherPPL(t *testing.T) {
	var log strings.Builder
	env := &Env{Log: &log}
	if err := checkTeacherPPL(env, 4.56, 512); err != nil || log.Len() != 0 {
		t.Errorf("a sane teacher: %v %q", err, log.String())
	}
	err := checkTeacherPPL(env, 227905, 512)
	if err == nil || !strings.Contains(err.Error(), "exceeds its vocabulary size 512") || !strings.Contains(log.String(), "warning:") {
		t.Errorf("a mismatched tokenizer: err %v, log %q", err, log.String())
	}
	if err := checkTeacherPPL(env, math.NaN(), 512); err == nil {
		t.Error("a NaN teacher perplexity passed")
	}
}

// TestConcurrentRunsInTwoProcesses: while one process runs a pipeline, a
// second run into the same directory fails at once naming the first's pid
// and leaves it undisturbed (it completes and exits 0); once a holder is
// SIGKILLed, the lock is free and the next run resumes.
func TestConcurrentRunsInTwoProcesses(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, StageTrain, "state")
	started := func() bool {
		b, _ := os.ReadFile(state)
		n, _ := strconv.Atoi(string(b))
		return n >= 2
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=fake "+dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for !started() {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the first run never started training\n%s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	fs := fakePipeline()
	err := Run(context.Background(), testRecipe(t, dir, ""), Options{Stages: asStages(fs)})
	if !errors.Is(err, ErrRunLocked) || !strings.Contains(err.Error(), "process "+strconv.Itoa(cmd.Process.Pid)) {
		t.Errorf("second run: %v, want ErrRunLocked naming pid %d", err, cmd.Process.Pid)
	}
	if got := runs(fs); got != "000000" {
		t.Errorf("the second run ran stages %s", got)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the first run was disturbed: %v\n%s", err, stderr.String())
	}

	// A SIGKILLed holder releases its lock with its life.
	dir2 := t.TempDir()
	state = filepath.Join(dir2, StageTrain, "state")
	killWhen(t, "fake "+dir2, started)
	fs = slowPipeline(0)
	if err := Run(context.Background(), testRecipe(t, dir2, ""), Options{Stages: asStages(fs)}); err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
	if fs[1].resumed != 1 {
		t.Errorf("train resumed %d times, want 1", fs[1].resumed)
	}
}
