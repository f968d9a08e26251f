package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/kernels/cpu"
)

const committed = "../../testdata/quickstart/teacher.yaml"

// TestCommittedTeacher loads the committed teacher.bin with its tokenizer
// and checks that it has the shape teacher.yaml asks for.
func TestCommittedTeacher(t *testing.T) {
	c, err := LoadConfig(committed)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := c.Path(c.Output)
	tokPath, _ := c.Path(c.Tokenizer.Path)
	tt, err := checkpoint.Load(out, cpu.New(1), checkpoint.LoadOptions{Tokenizer: tokPath})
	if err != nil {
		t.Fatal(err)
	}
	defer tt.Close()
	want, err := c.ModelConfig(tt.Tokenizer.VocabSize())
	if err != nil {
		t.Fatal(err)
	}
	if tt.Config != want {
		t.Errorf("%s has config\n%s, %s asks for\n%s", c.Output, tt.Config, committed, want)
	}
	if tt.Format != checkpoint.FormatLlama2C {
		t.Errorf("%s: format %q, want llama2c", c.Output, tt.Format)
	}
	if c.Training.SeqLen > tt.Config.MaxSeqLen || tt.Config.NLayers < 2 {
		t.Errorf("seq_len %d, max_seq_len %d, %d layers: the quickstart needs seq 128 and every_k 2",
			c.Training.SeqLen, tt.Config.MaxSeqLen, tt.Config.NLayers)
	}
}

// TestLoadConfigErrors checks that broken recipes are refused with a
// message naming what is wrong.
func TestLoadConfigErrors(t *testing.T) {
	base, err := os.ReadFile(committed)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"unknown key", "  dim: 128", "  dim: 128\n  dims: 3", "field dims not found"},
		{"wrong type", "steps: 1200", "steps: many", "cannot unmarshal"},
		{"seq too long", "  seq_len: 128", "  seq_len: 256", "training.seq_len 256 out of range"},
		{"heads", "n_heads: 4", "n_heads: 3", "not a multiple of n_heads"},
		{"schedule", "schedule: cosine", "schedule: step", `unknown schedule "step"`},
		{"no output", "output: teacher.bin", "", "output is missing"},
		{"no train", "  - path: train.txt ", "  - separator: x ", "train[0].path is missing"},
		{"two tokenizers", "  path: tokenizer.bin", "  path: tokenizer.bin\n  bpe_vocab: 512", "exactly one of path"},
		{"bpe into bin", "  path: tokenizer.bin", "  bpe_vocab: 512", "needs an output ending in .gguf"},
		{"threads", "threads: 2", "threads: 0", "training.threads 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := string(base)
			if !strings.Contains(text, tc.old) {
				t.Fatalf("%s lacks %q", committed, tc.old)
			}
			path := filepath.Join(t.TempDir(), "teacher.yaml")
			if err := os.WriteFile(path, []byte(strings.Replace(text, tc.old, tc.new, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadConfig(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("got %v, want an error naming %s and %q", err, path, tc.want)
			}
		})
	}
}

// TestTrainTiny trains a tiny teacher for a few steps twice: the two files
// must be identical (the recipe is deterministic), load with the tokenizer
// and have the recipe's shape.
func TestTrainTiny(t *testing.T) {
	base, err := LoadConfig(committed)
	if err != nil {
		t.Fatal(err)
	}
	var files [2][]byte
	for i := range files {
		c := *base
		c.Model = Shape{Dim: 16, NLayers: 2, NHeads: 2, NKVHeads: 1, HiddenDim: 32, MaxSeqLen: 32}
		c.Training.SeqLen, c.Training.BatchSize, c.Training.Steps, c.Training.Warmup = 32, 2, 3, 1
		c.Train = c.Validation // small
		c.Output = filepath.Join(t.TempDir(), "teacher.bin")
		res, err := Train(&c, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if res.Params == 0 || !(res.ValidPPL > 1) || !(res.TrainLoss > 0) {
			t.Errorf("result %+v", res)
		}
		if files[i], err = os.ReadFile(c.Output); err != nil {
			t.Fatal(err)
		}
		tokPath, _ := c.Path(c.Tokenizer.Path)
		tt, err := checkpoint.Load(c.Output, cpu.New(1), checkpoint.LoadOptions{Tokenizer: tokPath})
		if err != nil {
			t.Fatal(err)
		}
		want, _ := c.ModelConfig(tt.Tokenizer.VocabSize())
		if tt.Config != want {
			t.Errorf("wrote %s, want %s", tt.Config, want)
		}
		tt.Close()
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Error("two runs of the same recipe wrote different files")
	}
}

// TestTrainGGUFWithBPE learns a tokenizer from the training text and writes
// an F16 GGUF with it inside: the file loads without a tokenizer argument,
// its vocabulary is the size asked for and its matrices are F16.
func TestTrainGGUFWithBPE(t *testing.T) {
	c, err := LoadConfig(committed)
	if err != nil {
		t.Fatal(err)
	}
	c.Model = Shape{Dim: 32, NLayers: 1, NHeads: 2, NKVHeads: 1, HiddenDim: 64, MaxSeqLen: 32}
	c.Training.SeqLen, c.Training.BatchSize, c.Training.Steps, c.Training.Warmup = 32, 2, 2, 1
	c.Train = c.Validation
	c.Tokenizer = Tokenizer{BPEVocab: 300}
	c.Output = filepath.Join(t.TempDir(), "teacher.gguf")
	if _, err := Train(c, io.Discard); err != nil {
		t.Fatal(err)
	}
	tt, err := checkpoint.Load(c.Output, cpu.New(1), checkpoint.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tt.Close()
	if tt.Tokenizer == nil || tt.Tokenizer.VocabSize() != 300 || tt.Config.VocabSize != 300 {
		t.Fatalf("tokenizer %v, config %s: want a 300-token vocabulary inside the file", tt.Tokenizer, tt.Config)
	}
	if tt.Format != checkpoint.FormatGGUF {
		t.Errorf("format %q, want gguf", tt.Format)
	}
}

// TestCommittedStories3M checks the real-width teacher: an F16 GGUF of at
// most 8 MB with its tokenizer inside, the shape its recipe asks for, and
// every matrix a multiple of 256 wide (so k-quants apply without fallback).
func TestCommittedStories3M(t *testing.T) {
	const recipe = "../../testdata/stories3M/teacher.yaml"
	t.Setenv("DISTILL_DATA", "unused") // the paths are not read here
	c, err := LoadConfig(recipe)
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Path(c.Output)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > 8<<20 {
		t.Errorf("%s is %d bytes, more than 8 MiB", out, st.Size())
	}
	tt, err := checkpoint.Load(out, cpu.New(1), checkpoint.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tt.Close()
	want, err := c.ModelConfig(c.Tokenizer.BPEVocab)
	if err != nil {
		t.Fatal(err)
	}
	if tt.Format != checkpoint.FormatGGUF || tt.Tokenizer == nil || tt.Tokenizer.VocabSize() != c.Tokenizer.BPEVocab {
		t.Fatalf("%s: format %q, tokenizer %v: want a GGUF with its %d-token tokenizer", out, tt.Format, tt.Tokenizer, c.Tokenizer.BPEVocab)
	}
	// The GGUF reader fills llama.cpp's defaults for what llama2.c leaves
	// implicit; compare the shape.
	got := tt.Config
	if got.Dim != want.Dim || got.HiddenDim != want.HiddenDim || got.NLayers != want.NLayers || got.NHeads != want.NHeads ||
		got.NKVHeads != want.NKVHeads || got.VocabSize != want.VocabSize || !got.TiedEmbeddings {
		t.Errorf("%s has config\n%s, %s asks for\n%s", out, got, recipe, want)
	}
	for _, p := range got.Params() {
		if len(p.Shape) == 2 && p.Shape[1]%256 != 0 {
			t.Errorf("%s %v: width %d is not a multiple of 256", p.Name, p.Shape, p.Shape[1])
		}
	}
}
