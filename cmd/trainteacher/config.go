package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/recipe"
	"github.com/distill-dev/distill/student"
)

// Config is a teacher.yaml: the whole recipe of a teacher this project
// trains. Paths may use ${VAR} (as recipes do) and are relative to the
// YAML file's folder.
type Config struct {
	Train      []Text    `yaml:"train"`      // training text, concatenated in this order
	Validation []Text    `yaml:"validation"` // held-out text for the final perplexity
	Tokenizer  Tokenizer `yaml:"tokenizer"`
	// Output is a llama2.c v0 checkpoint (shared classifier), or, for a
	// name ending in .gguf, an F16 GGUF with the tokenizer inside.
	Output   string   `yaml:"output"`
	Model    Shape    `yaml:"model"`
	Training Training `yaml:"training"`

	dir string // folder of the YAML file
}

// Text is one text file of documents.
type Text struct {
	Path string `yaml:"path"`
	// Separator cuts the file into documents; empty means blank lines
	// (see corpus.ReadOptions).
	Separator string `yaml:"separator"`
}

// Tokenizer is the vocabulary: an existing llama2.c tokenizer.bin (Path),
// or, with BPEVocab > 0, a BPE vocabulary of that many tokens learned from
// the training documents (tokenizer.TrainBPE) and stored in the output.
type Tokenizer struct {
	Path     string `yaml:"path"`
	BPEVocab int    `yaml:"bpe_vocab"`
}

// Shape is the Llama's shape (the vocabulary comes from the tokenizer).
type Shape struct {
	Dim       int `yaml:"dim"`
	NLayers   int `yaml:"n_layers"`
	NHeads    int `yaml:"n_heads"`
	NKVHeads  int `yaml:"n_kv_heads"`
	HiddenDim int `yaml:"hidden_dim"`
	MaxSeqLen int `yaml:"max_seq_len"`
}

// Training is the optimisation: AdamW on hard-label cross-entropy.
type Training struct {
	SeqLen      int     `yaml:"seq_len"`
	BatchSize   int     `yaml:"batch_size"`
	Steps       int     `yaml:"steps"`
	LR          float64 `yaml:"lr"`
	MinLRRatio  float64 `yaml:"min_lr_ratio"`
	Warmup      int     `yaml:"warmup_steps"`
	Schedule    string  `yaml:"schedule"` // cosine, linear or constant
	WeightDecay float64 `yaml:"weight_decay"`
	GradClip    float64 `yaml:"grad_clip"`
	Seed        uint64  `yaml:"seed"`    // init and data order
	Threads     int     `yaml:"threads"` // CPU threads; the result depends on it
}

// LoadConfig reads and checks a teacher.yaml, refusing unknown keys.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("trainteacher: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	c := &Config{dir: filepath.Dir(path)}
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("trainteacher: %s: %w", path, err)
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("trainteacher: %s: %w", path, err)
	}
	return c, nil
}

// Path expands the environment in p (recipe.ExpandEnv) and resolves the
// result against the YAML file's folder.
func (c *Config) Path(p string) (string, error) {
	s, err := recipe.ExpandEnv(p)
	if err != nil {
		return "", err
	}
	if filepath.IsAbs(s) {
		return s, nil
	}
	return filepath.Join(c.dir, s), nil
}

// check reports missing paths and impossible shapes or options.
func (c *Config) check() error {
	if c.Output == "" {
		return fmt.Errorf("output is missing")
	}
	for _, f := range []struct {
		name string
		v    []Text
	}{{"train", c.Train}, {"validation", c.Validation}} {
		if len(f.v) == 0 {
			return fmt.Errorf("%s is missing (a list of {path, separator})", f.name)
		}
		for i, t := range f.v {
			if t.Path == "" {
				return fmt.Errorf("%s[%d].path is missing", f.name, i)
			}
		}
	}
	switch tk := c.Tokenizer; {
	case (tk.Path == "") == (tk.BPEVocab == 0):
		return fmt.Errorf("tokenizer needs exactly one of path (a tokenizer.bin) and bpe_vocab (a vocabulary size to learn)")
	case tk.BPEVocab < 0:
		return fmt.Errorf("tokenizer.bpe_vocab %d is negative", tk.BPEVocab)
	case tk.BPEVocab > 0 && !strings.HasSuffix(c.Output, ".gguf"):
		return fmt.Errorf("tokenizer.bpe_vocab needs an output ending in .gguf (the learned tokenizer is stored inside it)")
	}
	t := c.Training
	if t.SeqLen < 1 || t.SeqLen > c.Model.MaxSeqLen {
		return fmt.Errorf("training.seq_len %d out of range [1, model.max_seq_len %d]", t.SeqLen, c.Model.MaxSeqLen)
	}
	if t.BatchSize < 1 || t.Threads < 1 {
		return fmt.Errorf("training.batch_size %d and training.threads %d must be positive", t.BatchSize, t.Threads)
	}
	// The vocabulary comes from the tokenizer, read only when training;
	// any valid size checks the rest of the shape.
	if _, err := c.ModelConfig(512); err != nil {
		return err
	}
	_, err := c.Options()
	return err
}

// ModelConfig is the teacher's config for a vocabulary of vocab tokens:
// the llama2.c conventions (interleaved RoPE, theta 10000, eps 1e-5,
// BOS 1, EOS 2) with a shared classifier.
func (c *Config) ModelConfig(vocab int) (model.Config, error) {
	s := c.Model
	mc := model.Config{Arch: model.ArchLlama, Dim: s.Dim, HiddenDim: s.HiddenDim, NLayers: s.NLayers,
		NHeads: s.NHeads, NKVHeads: s.NKVHeads, VocabSize: vocab, MaxSeqLen: s.MaxSeqLen,
		NormEps: 1e-5, RopeTheta: 10000, RopeStyle: kernels.RoPEInterleaved, TiedEmbeddings: true, BOS: 1, EOS: 2}
	if err := mc.Validate(); err != nil {
		return model.Config{}, fmt.Errorf("model: %w", err)
	}
	return mc, nil
}

// Options are the trainer's options: cross-entropy only (alpha 0, no
// teacher runs).
func (c *Config) Options() (student.Options, error) {
	t := c.Training
	o := student.Options{
		Steps:       t.Steps,
		Schedule:    student.Schedule{Kind: t.Schedule, LR: t.LR, Warmup: t.Warmup, Total: t.Steps, MinRatio: t.MinLRRatio},
		WeightDecay: t.WeightDecay,
		GradClip:    t.GradClip,
		Precision:   student.FP32,
	}
	if t.Steps < 1 || t.GradClip < 0 || t.WeightDecay < 0 {
		return o, fmt.Errorf("training: steps %d, grad_clip %g, weight_decay %g out of range", t.Steps, t.GradClip, t.WeightDecay)
	}
	if err := o.Schedule.Validate(); err != nil {
		return o, fmt.Errorf("training: %w", err)
	}
	return o, nil
}
