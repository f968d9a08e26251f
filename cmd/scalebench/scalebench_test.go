package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/tokenizer"
	"github.com/distill-dev/distill/tokenizer/tokenizertest"
)

// TestShapes: the measured shapes are the published configs, with their
// published parameter counts.
func TestShapes(t *testing.T) {
	if err := os.Chdir("../.."); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir("cmd/scalebench")
	for _, tc := range []struct {
		name   string
		params int
	}{{"SmolLM2-135M", 134515008}, {"Qwen2.5-0.5B", 494032768}, {"TinyLlama-1.1B", 1100048384}} {
		s, err := findShape(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := s.config()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.NumParams() != tc.params {
			t.Errorf("%s: %d parameters, want %d", tc.name, cfg.NumParams(), tc.params)
		}
	}
	if _, err := findShape("nope"); err == nil {
		t.Error("unknown shape accepted")
	}
}

// TestMeasure runs every measurement in this process on a small random
// HF model.
func TestMeasure(t *testing.T) {
	cfg := model.Config{Arch: model.ArchLlama, Dim: 32, HiddenDim: 64, NLayers: 2, NHeads: 4, NKVHeads: 2, VocabSize: 300,
		MaxSeqLen: 64, NormEps: 1e-5, RopeTheta: 1e4, BOS: 1, EOS: 2}
	b := cpu.New(1)
	dir := filepath.Join(t.TempDir(), "m")
	tok, err := tokenizer.FromVocab("t", tokenizertest.Tiny(cfg.VocabSize))
	if err != nil {
		t.Fatal(err)
	}
	if err := checkpoint.WriteHF(dir, cfg, model.RandomSource("r", cfg, b, kernels.BF16, 1), tok, checkpoint.HFOptions{}); err != nil {
		t.Fatal(err)
	}
	o := options{data: "../../testdata/quickstart/train.txt", threads: 1, batch: 2, seq: 16, reps: 1, kdSteps: 2, teachTokens: 64}
	f, err := measureForward(dir, o)
	if err != nil || f.TokPerS <= 0 || f.GFLOPs <= 0 || f.RSSLoad <= 0 || f.Tokens != 32 {
		t.Errorf("forward: %+v, %v", f, err)
	}
	for _, kind := range []string{"teach", "kd"} {
		r, err := measureJob(kind, dir, o)
		if err != nil || r.TokPerS <= 0 || r.Tokens < 32 {
			t.Errorf("%s: %+v, %v", kind, r, err)
		}
		if kind == "kd" && r.Estimate <= 0 {
			t.Errorf("kd: no estimate")
		}
	}
}
