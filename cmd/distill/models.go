package main

import (
	"github.com/distill-dev/distill/eval"
)

// tokenizer is what the commands use of a model's tokenizer.
type tokenizer interface {
	Encode(text string, addBOS, addEOS bool) []int32
	Decode(ids []int32) string
	BOS() int32
}

// loadedModel is a model ready to run, as the commands see it.
type loadedModel struct {
	LM     eval.LM
	Tok    tokenizer
	Path   string
	Format string // checkpoint format, e.g. "llama2c", "safetensors", "gguf"
	Params int64
	// Generate continues prompt (BOS prepended as the tokenizer's format
	// asks) and calls onPiece with the text of each new token as it is
	// produced. It returns the prompt's ids, the generated ids and why
	// generation stopped ("eos", "max_tokens" or "context").
	Generate func(prompt string, o genOptions, onPiece func(string)) (promptIDs, ids []int32, stop string, err error)
	Close    func() error // may be nil
}

// genOptions are the sampling settings of distill generate.
type genOptions struct {
	MaxTokens   int     `json:"max_tokens"`  // 0 = until the context is full
	Temperature float64 `json:"temperature"` // 0 = greedy
	TopP        float64 `json:"top_p"`       // 1 = no nucleus cut
	Seed        uint64  `json:"seed"`
	IgnoreEOS   bool    `json:"ignore_eos"` // go on past the model's end-of-text tokens
}

// inspectInfo describes a checkpoint without running it.
type inspectInfo struct {
	Path    string       `json:"path"`
	Format  string       `json:"format"`
	Config  any          `json:"config"`
	Params  int64        `json:"params"`
	Bytes   int64        `json:"bytes"`
	Tensors []tensorInfo `json:"tensors"`
}

type tensorInfo struct {
	Name   string `json:"name"`
	DType  string `json:"dtype"`
	Shape  []int  `json:"shape"`
	Params int64  `json:"params"`
	Bytes  int64  `json:"bytes"`
}

// modelHooks connect the commands to the model packages; tests substitute
// fakes.
type modelHooks struct {
	// load reads the model at path with the tokenizer file or folder
	// tokenizer ("": the model's own).
	load    func(path, tokenizer string, e *env) (*loadedModel, error)
	inspect func(path string) (*inspectInfo, error)
}

func (m *loadedModel) close() {
	if m != nil && m.Close != nil {
		_ = m.Close() // read-only mappings: nothing to lose on a failed close
	}
}
