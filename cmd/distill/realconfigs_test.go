package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRealShapeConfigs runs `distill inspect` and `distill run --dry-run`
// on the published config.json files of testdata/configs alone (no
// weights): inspect prints the published parameter count, and the dry run
// of KD into a half-depth student (every second layer) a memory estimate.
func TestRealShapeConfigs(t *testing.T) {
	train, err := filepath.Abs(filepath.Join("..", "..", "testdata", "quickstart", "train.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dir    string
		params int
	}{
		{"Llama-3.2-1B", 1_235_814_400}, {"Qwen2.5-0.5B", 494_032_768}, {"Qwen3-0.6B", 596_049_920},
		{"SmolLM2-135M", 134_515_008}, {"TinyLlama-1.1B", 1_100_048_384}, {"Mistral-7B", 7_241_732_096},
	} {
		t.Run(c.dir, func(t *testing.T) {
			dir, err := filepath.Abs(filepath.Join("..", "..", "testdata", "configs", c.dir))
			if err != nil {
				t.Fatal(err)
			}
			out := runReal(t, "inspect", dir)
			if want := fmt.Sprintf("parameters    %d ", c.params); !strings.Contains(out, want) {
				t.Errorf("inspect does not print %q:\n%s", want, out)
			}
			work := t.TempDir()
			recipe := filepath.Join(work, "kd.yaml")
			yaml := fmt.Sprintf("name: half\nteacher: {path: %s}\ndata: {train: %s, seq_len: 256}\nstudent: {every_k: 2}\n"+
				"training: {steps: 10, batch_size: 2}\noutput: %s\n", dir, train, filepath.Join(work, "out"))
			if err := os.WriteFile(recipe, []byte(yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			out = runReal(t, "run", "--dry-run", recipe)
			if !strings.Contains(out, "memory estimate (train stage") || !strings.Contains(out, "student weights") || strings.Contains(out, "unavailable") {
				t.Errorf("dry run prints no memory estimate:\n%s", out)
			}
		})
	}
}
