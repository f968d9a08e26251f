package model

import (
	"errors"
	"fmt"

	"github.com/distill-dev/distill/kernels"
)

// Architectures a Config can describe.
const (
	ArchLlama = "llama" // RMSNorm, RoPE, grouped-query attention, SwiGLU, no biases
	ArchGPT2  = "gpt2"  // LayerNorm, learned positions, GELU (tanh), biases, tied head
)

// Config is the shape of a Transformer: one type that HF config.json
// (ParseHFConfig), llama2.c headers (ConfigFromLlama2C) and GGUF metadata
// (ConfigFromGGUF) all map onto.
type Config struct {
	Arch      string  `json:"arch"`        // ArchLlama or ArchGPT2
	Dim       int     `json:"dim"`         // model width C
	HiddenDim int     `json:"hidden_dim"`  // feed-forward width F
	NLayers   int     `json:"n_layers"`    // L
	NHeads    int     `json:"n_heads"`     // query heads H
	NKVHeads  int     `json:"n_kv_heads"`  // key/value heads (GQA); equals NHeads for GPT-2
	VocabSize int     `json:"vocab_size"`  // V
	MaxSeqLen int     `json:"max_seq_len"` // context length; the size of GPT-2's position table
	NormEps   float32 `json:"norm_eps"`
	// RopeTheta and RopeStyle describe rotary embeddings (Llama only).
	RopeTheta float32           `json:"rope_theta,omitempty"`
	RopeStyle kernels.RoPEStyle `json:"rope_style"`
	// TiedEmbeddings means the classifier reuses token_embd.weight (no
	// output.weight). Always true for GPT-2.
	TiedEmbeddings bool `json:"tied_embeddings"`
	// BOS and EOS are the begin/end-of-sequence ids, -1 when unknown.
	BOS int32 `json:"bos"`
	EOS int32 `json:"eos"`
}

// HeadDim is the width of one attention head, Dim/NHeads.
func (c Config) HeadDim() int { return c.Dim / c.NHeads }

// KVDim is the width of the key and value projections, NKVHeads*HeadDim.
func (c Config) KVDim() int { return c.NKVHeads * c.HeadDim() }

// Validate reports the first inconsistency in c. Every loader calls it, so
// the forward pass may assume a valid config.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch c.Arch {
	case ArchLlama, ArchGPT2:
	default:
		bad("unknown architecture %q (want %q or %q)", c.Arch, ArchLlama, ArchGPT2)
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"dim", c.Dim}, {"hidden_dim", c.HiddenDim}, {"n_layers", c.NLayers}, {"n_heads", c.NHeads},
		{"n_kv_heads", c.NKVHeads}, {"vocab_size", c.VocabSize}, {"max_seq_len", c.MaxSeqLen}} {
		if f.v <= 0 || f.v > 1<<24 {
			bad("%s = %d out of range [1, %d]", f.name, f.v, 1<<24)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("model: invalid config: %w", errors.Join(errs...))
	}
	if c.Dim%c.NHeads != 0 {
		bad("dim %d is not a multiple of n_heads %d", c.Dim, c.NHeads)
	}
	if c.NHeads%c.NKVHeads != 0 {
		bad("n_heads %d is not a multiple of n_kv_heads %d", c.NHeads, c.NKVHeads)
	}
	if c.Arch == ArchLlama && c.HeadDim()%2 != 0 {
		bad("head dim %d is odd (RoPE rotates pairs)", c.HeadDim())
	}
	if c.Arch == ArchGPT2 {
		if c.NKVHeads != c.NHeads {
			bad("gpt2 has n_kv_heads %d != n_heads %d", c.NKVHeads, c.NHeads)
		}
		if !c.TiedEmbeddings {
			bad("gpt2 with an untied classifier is not supported")
		}
	}
	if !(c.NormEps > 0 && c.NormEps < 1) {
		bad("norm eps %g out of range (0, 1)", c.NormEps)
	}
	if c.Arch == ArchLlama {
		if !(c.RopeTheta > 1) {
			bad("rope theta %g must be > 1", c.RopeTheta)
		}
		if c.RopeStyle != kernels.RoPEInterleaved && c.RopeStyle != kernels.RoPEHalf {
			bad("unknown rope style %d", c.RopeStyle)
		}
	}
	for _, id := range []struct {
		name string
		v    int32
	}{{"bos", c.BOS}, {"eos", c.EOS}} {
		if id.v < -1 || int(id.v) >= c.VocabSize {
			bad("%s id %d out of range [-1, %d)", id.name, id.v, c.VocabSize)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("model: invalid config: %w", errors.Join(errs...))
	}
	return nil
}

// String prints the config on one line for logs and errors.
func (c Config) String() string {
	s := fmt.Sprintf("%s dim=%d hidden=%d layers=%d heads=%d kv_heads=%d vocab=%d seq=%d eps=%g",
		c.Arch, c.Dim, c.HiddenDim, c.NLayers, c.NHeads, c.NKVHeads, c.VocabSize, c.MaxSeqLen, c.NormEps)
	if c.Arch == ArchLlama {
		style := "interleaved"
		if c.RopeStyle == kernels.RoPEHalf {
			style = "half"
		}
		s += fmt.Sprintf(" rope=%g/%s tied=%v", c.RopeTheta, style, c.TiedEmbeddings)
	}
	return s
}
