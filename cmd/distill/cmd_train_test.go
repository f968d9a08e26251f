package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distill-dev/distill/internal/formattest"
	"github.com/distill-dev/distill/student"
)

// TestRealTeachTrainResume writes a soft-label cache of stories260K, trains
// a 2-layer student from it, resumes to more steps, evaluates the student
// checkpoint on its own (tokenizer.json beside it) and checks the memory
// refusal.
func TestRealTeachTrainResume(t *testing.T) {
	bin, _ := stories(t)
	data := filepath.Join(formattest.SharedData(t), "tinystories-gen/train.txt")
	dir := t.TempDir()
	cache, out := filepath.Join(dir, "cache"), filepath.Join(dir, "student")
	common := []string{bin, "--data", data, "--max-tokens", "20000", "--seq-len", "32", "--temperature", "2"}
	runReal(t, append([]string{"teach", "--out", cache, "--top-k", "8", "--shard-windows", "200"}, common...)...)
	train := append([]string{"train", "--out", out, "--soft-labels", cache, "--n-layers", "2", "--batch", "4",
		"--alpha", "1", "--lr", "3e-3", "--checkpoint-every", "2"}, common...)
	runReal(t, append(train, "--steps", "4")...)
	runReal(t, append(train, "--steps", "6", "--resume")...)

	f, err := os.Open(filepath.Join(out, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var steps []int
	for sc := bufio.NewScanner(f); sc.Scan(); {
		var m student.Metrics
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("metrics line %q: %v", sc.Text(), err)
		}
		if !(m.Loss > 0) || !(m.LR > 0) || m.Tokens != int64(m.Step*4*32) {
			t.Errorf("metrics %+v", m)
		}
		steps = append(steps, m.Step)
	}
	if len(steps) != 6 || steps[5] != 6 {
		t.Errorf("metrics steps %v, want 1..6 (4, then 2 resumed)", steps)
	}
	var r evalReport
	decodeJSON(t, runReal(t, "eval", out, "--data", data, "--limit", "1000", "--json"), &r)
	if r.Result.Tokens == 0 || !(r.Result.PPL > 1) {
		t.Errorf("eval of the student: %+v", r.Result)
	}

	// Online KD with a hidden-state loss through a learned projection.
	runReal(t, append([]string{"train", "--out", filepath.Join(dir, "hidden"), "--n-layers", "2", "--dim", "32", "--heads", "4",
		"--kv-heads", "4", "--hidden-dim", "96", "--init", "importance", "--hidden-loss", "mse", "--hidden-pairs", "0:1,1:4",
		"--steps", "2", "--batch", "2"}, common...)...)

	var o, e bytes.Buffer
	code := run(append([]string{"distill", "--progress", "none", "train", "--out", filepath.Join(dir, "x"), "--memory-limit", "1MiB", "--steps", "1"}, common...), &o, &e, teacherHooks())
	if code != exitError || !strings.Contains(e.String(), "more than the limit of 1.0 MiB") {
		t.Errorf("--memory-limit 1MiB: exit %d, stderr %q", code, e.String())
	}
}

func TestParseBytes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{{"", 0, true}, {"1048576", 1 << 20, true}, {"8GiB", 8 << 30, true}, {"1.5 MiB", 3 << 19, true}, {"2GB", 2e9, true}, {"3XB", 0, false}, {"-1", 0, false}} {
		got, err := parseBytes(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d (ok %v)", c.in, got, err, c.want, c.ok)
		}
	}
}
