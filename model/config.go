package model

import (
	"errors"
	"fmt"
	"math"

	"github.com/distill-dev/distill/kernels"
)

// Config is the shape of a Transformer: one type that every checkpoint
// format (package checkpoint) maps onto. Arch names its Family, whose
// declaration holds everything that differs between families.
type Config struct {
	Arch      string  `json:"arch"`        // a registered family: ArchLlama, ArchGPT2
	Dim       int     `json:"dim"`         // model width C
	HiddenDim int     `json:"hidden_dim"`  // feed-forward width F
	NLayers   int     `json:"n_layers"`    // L
	NHeads    int     `json:"n_heads"`     // query heads H
	NKVHeads  int     `json:"n_kv_heads"`  // key/value heads (GQA); equals NHeads for GPT-2
	VocabSize int     `json:"vocab_size"`  // V
	MaxSeqLen int     `json:"max_seq_len"` // context length; the size of GPT-2's position table
	NormEps   float32 `json:"norm_eps"`
	// RopeTheta and RopeStyle describe rotary embeddings (families with
	// Pos RoPE).
	RopeTheta float32           `json:"rope_theta,omitempty"`
	RopeStyle kernels.RoPEStyle `json:"rope_style"`
	// RopeScaling stretches RoPE for long contexts (HF rope_scaling);
	// the zero value is none. Its kinds are features (Family.Supports).
	RopeScaling RopeScaling `json:"rope_scaling,omitzero"`
	// SlidingWindow, when > 0, limits attention to the last SlidingWindow
	// positions, the query's own included (Mistral); a window >= the
	// context is full attention.
	SlidingWindow int `json:"sliding_window,omitempty"`
	// ExplicitHeadDim, when > 0, is the width of one attention head when it
	// is not Dim/NHeads (HF head_dim: Qwen3-0.6B has 16 heads of 128 in a
	// 1024-wide model); q and the attention output are then NHeads*head_dim
	// wide. 0 means Dim/NHeads.
	ExplicitHeadDim int `json:"head_dim,omitempty"`
	// TiedEmbeddings means the classifier reuses token_embd.weight (no
	// output.weight). Always true for a family with Tied TiedAlways.
	TiedEmbeddings bool `json:"tied_embeddings"`
	// BOS and EOS are the begin/end-of-sequence ids, -1 when unknown.
	BOS int32 `json:"bos"`
	EOS int32 `json:"eos"`
}

// RopeScaling is HF's rope_scaling: Kind "llama3" (Llama 3.1's frequency
// bands), "linear" (positions divided by Factor) or "dynamic" (NTK base
// growing with the length past OriginalMaxSeqLen, HF's
// max_position_embeddings). RopeFreqFactors(At) turn it into per-pair
// frequency divisors (rope.go).
type RopeScaling struct {
	Kind              string  `json:"rope_type"`
	Factor            float32 `json:"factor,omitempty"`
	LowFreqFactor     float32 `json:"low_freq_factor,omitempty"`
	HighFreqFactor    float32 `json:"high_freq_factor,omitempty"`
	OriginalMaxSeqLen int     `json:"original_max_position_embeddings,omitempty"`
}

// HeadDim is the width of one attention head: ExplicitHeadDim, or
// Dim/NHeads.
func (c Config) HeadDim() int {
	if c.ExplicitHeadDim > 0 {
		return c.ExplicitHeadDim
	}
	return c.Dim / c.NHeads
}

// QDim is the width of the query projection and of the attention output,
// NHeads*HeadDim (Dim unless the head width is explicit).
func (c Config) QDim() int { return c.NHeads * c.HeadDim() }

// KVDim is the width of the key and value projections, NKVHeads*HeadDim.
func (c Config) KVDim() int { return c.NKVHeads * c.HeadDim() }

// Validate reports the first inconsistency in c. Every loader calls it, so
// the forward pass may assume a valid config.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	fam, err := FamilyOf(c.Arch)
	if err != nil {
		bad("%w", err)
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
	if c.ExplicitHeadDim < 0 || c.ExplicitHeadDim > 1<<16 {
		bad("head_dim %d out of range [0, %d]", c.ExplicitHeadDim, 1<<16)
	} else if c.ExplicitHeadDim == 0 && c.Dim%c.NHeads != 0 {
		bad("dim %d is not a multiple of n_heads %d (give head_dim explicitly when heads are not dim/n_heads wide)", c.Dim, c.NHeads)
	}
	if c.NHeads%c.NKVHeads != 0 {
		bad("n_heads %d is not a multiple of n_kv_heads %d", c.NHeads, c.NKVHeads)
	}
	if !fam.GroupedKV && c.NKVHeads != c.NHeads {
		bad("%s has n_kv_heads %d != n_heads %d (no grouped-query attention)", fam.Name, c.NKVHeads, c.NHeads)
	}
	if fam.Tied == TiedAlways && !c.TiedEmbeddings {
		bad("%s with an untied classifier is not supported", fam.Name)
	}
	if !(c.NormEps > 0 && c.NormEps < 1) {
		bad("norm eps %g out of range (0, 1)", c.NormEps)
	}
	if fam.Pos == RoPE {
		if c.HeadDim() > 0 && c.HeadDim()%2 != 0 {
			bad("head dim %d is odd (RoPE rotates pairs)", c.HeadDim())
		}
		if !(c.RopeTheta > 1) || math.IsInf(float64(c.RopeTheta), 1) {
			bad("rope theta %g must be a finite number > 1", c.RopeTheta)
		}
		if c.RopeStyle != kernels.RoPEInterleaved && c.RopeStyle != kernels.RoPEHalf {
			bad("unknown rope style %d", c.RopeStyle)
		}
	}
	if c.RopeScaling != (RopeScaling{}) {
		if err := fam.CheckFeature(Feature("rope_scaling:" + c.RopeScaling.Kind)); err != nil {
			bad("rope_scaling %q: %w", c.RopeScaling.Kind, err)
		} else if err := c.RopeScaling.validate(); err != nil {
			bad("rope_scaling %q: %w", c.RopeScaling.Kind, err)
		}
	}
	if c.SlidingWindow != 0 {
		if err := fam.CheckFeature(FeatureSlidingWindow); err != nil {
			bad("sliding_window %d: %w", c.SlidingWindow, err)
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
	if f, err := FamilyOf(c.Arch); err == nil && f.Pos == RoPE {
		style := "interleaved"
		if c.RopeStyle == kernels.RoPEHalf {
			style = "half"
		}
		s += fmt.Sprintf(" rope=%g/%s tied=%v", c.RopeTheta, style, c.TiedEmbeddings)
		if c.RopeScaling.Kind != "" {
			s += fmt.Sprintf(" rope_scaling=%s/%g", c.RopeScaling.Kind, c.RopeScaling.Factor)
		}
	}
	if c.ExplicitHeadDim > 0 {
		s += fmt.Sprintf(" head_dim=%d", c.ExplicitHeadDim)
	}
	if c.SlidingWindow > 0 {
		s += fmt.Sprintf(" window=%d", c.SlidingWindow)
	}
	return s
}
