package main

import (
	"fmt"
	"os"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/tokenizer"
	"github.com/distill-dev/distill/tokenizer/tokenizertest"
)

// shape is one published model whose shape is measured.
type shape struct {
	name       string
	configPath string // its published config.json
	shard      int64  // HF shard size; 0: one model.safetensors
}

var shapes = []shape{
	{"SmolLM2-135M", "testdata/configs/SmolLM2-135M/config.json", 0},
	{"Qwen2.5-0.5B", "testdata/configs/Qwen2.5-0.5B/config.json", 0},
	// sharded as HF's default max_shard_size (the published
	// TinyLlama-1.1B is one file; the index path is measured here)
	{"TinyLlama-1.1B", "testdata/configs/TinyLlama-1.1B/config.json", 1 << 30},
}

func shapeNames() []string {
	var n []string
	for _, s := range shapes {
		n = append(n, s.name)
	}
	return n
}

func findShape(name string) (shape, error) {
	for _, s := range shapes {
		if s.name == name {
			return s, nil
		}
	}
	return shape{}, fmt.Errorf("unknown shape %q (have %v)", name, shapeNames())
}

// config reads the published config; the random model's BOS and EOS are
// those of the test vocabulary it is written with.
func (s shape) config() (model.Config, error) {
	js, err := os.ReadFile(s.configPath)
	if err != nil {
		return model.Config{}, fmt.Errorf("%w (run from the repository root)", err)
	}
	cfg, err := checkpoint.ParseHFConfig(js)
	if err != nil {
		return model.Config{}, fmt.Errorf("%s: %w", s.configPath, err)
	}
	cfg.BOS, cfg.EOS = 1, 2
	return cfg, nil
}

// write writes s with random bf16 weights and a byte-level vocabulary of
// its size into dir (through dir.tmp, renamed when whole), unless dir
// exists.
func (s shape) write(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	cfg, err := s.config()
	if err != nil {
		return err
	}
	tok, err := tokenizer.FromVocab("byte-level test vocabulary", tokenizertest.Tiny(cfg.VocabSize))
	if err != nil {
		return err
	}
	src := model.RandomSource(s.name+" (random)", cfg, cpu.New(1), kernels.BF16, 1)
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := checkpoint.WriteHF(tmp, cfg, src, tok, checkpoint.HFOptions{ShardBytes: s.shard}); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}
