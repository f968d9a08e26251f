package model

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/distill-dev/distill/kernels"
)

// ParamSpec is one parameter tensor of a model: its canonical (GGUF) name and
// shape, [out, in] for matrices (y = W x). Offset is its element offset when
// all parameters are laid out back to back in Params order (llm.c's one
// parameter block: gradients and optimizer state can reuse the layout).
type ParamSpec struct {
	Name   string
	Shape  []int
	Offset int
}

// Numel is the element count of the parameter.
func (p ParamSpec) Numel() int {
	n := 1
	for _, s := range p.Shape {
		n *= s
	}
	return n
}

// Canonical tensor names. Layer tensors are "blk.N." + the suffix.
const (
	NameTokenEmbd  = "token_embd.weight"
	NamePosEmbd    = "position_embd.weight" // learned positions only
	NameOutputNorm = "output_norm.weight"
	NameOutputBias = "output_norm.bias" // with norm biases only
	NameOutput     = "output.weight"    // only when the classifier is untied
)

// Layer tensor suffixes. GPT-2's fused c_attn is split into attn_q/k/v at
// load time (and its Conv1D weights transposed to [out, in]), so both
// architectures share the same attention code.
const (
	AttnNorm   = "attn_norm"
	AttnQ      = "attn_q"
	AttnK      = "attn_k"
	AttnV      = "attn_v"
	AttnQNorm  = "attn_q_norm" // per-head q norm [HeadDim] (families with QKNorm)
	AttnKNorm  = "attn_k_norm" // per-head k norm [HeadDim]
	AttnOutput = "attn_output"
	FFNNorm    = "ffn_norm"
	FFNGate    = "ffn_gate" // gated FFNs only
	FFNUp      = "ffn_up"
	FFNDown    = "ffn_down"
)

// LayerName returns the canonical name "blk.<l>.<part>.<kind>", kind being
// "weight" or "bias".
func LayerName(l int, part, kind string) string {
	return fmt.Sprintf("blk.%d.%s.%s", l, part, kind)
}

// ParseLayerName splits a canonical layer tensor name "blk.<l>.<part>.<kind>"
// (LayerName's result); ok is false for global tensors and other names.
func ParseLayerName(name string) (l int, part, kind string, ok bool) {
	rest, found := strings.CutPrefix(name, "blk.")
	if !found {
		return 0, "", "", false
	}
	num, rest, found := strings.Cut(rest, ".")
	if !found {
		return 0, "", "", false
	}
	l, err := strconv.Atoi(num)
	if err != nil || l < 0 || strconv.Itoa(l) != num {
		return 0, "", "", false
	}
	part, kind, found = strings.Cut(rest, ".")
	if !found || part == "" || kind == "" {
		return 0, "", "", false
	}
	return l, part, kind, true
}

// Params lists every parameter of a model with config c, in a fixed order
// (embeddings, then each layer, then the final norm and classifier), with
// the offsets of a single flat block. c must be valid.
func (c Config) Params() []ParamSpec {
	C, F, V, KV, QD := c.Dim, c.HiddenDim, c.VocabSize, c.KVDim(), c.QDim()
	fam := c.Family()
	var ps []ParamSpec
	off := 0
	add := func(name string, shape ...int) {
		p := ParamSpec{Name: name, Shape: shape, Offset: off}
		off += p.Numel()
		ps = append(ps, p)
	}
	// layer adds a weight [out, in] ([out] when in is 0) and, when the
	// family has one, its bias [out].
	layer := func(l int, part string, out, in int) {
		if in == 0 {
			add(LayerName(l, part, "weight"), out)
		} else {
			add(LayerName(l, part, "weight"), out, in)
		}
		if fam.HasBias(part) {
			add(LayerName(l, part, "bias"), out)
		}
	}
	add(NameTokenEmbd, V, C)
	if fam.Pos == Learned {
		add(NamePosEmbd, c.MaxSeqLen, C)
	}
	for l := 0; l < c.NLayers; l++ {
		layer(l, AttnNorm, C, 0)
		layer(l, AttnQ, QD, C)
		layer(l, AttnK, KV, C)
		layer(l, AttnV, KV, C)
		if fam.QKNorm {
			layer(l, AttnQNorm, c.HeadDim(), 0)
			layer(l, AttnKNorm, c.HeadDim(), 0)
		}
		layer(l, AttnOutput, C, QD)
		layer(l, FFNNorm, C, 0)
		if fam.FFN.Gated() {
			layer(l, FFNGate, F, C)
		}
		layer(l, FFNUp, F, C)
		layer(l, FFNDown, C, F)
	}
	add(NameOutputNorm, C)
	if fam.Biases.Norm {
		add(NameOutputBias, C)
	}
	if !c.TiedEmbeddings {
		add(NameOutput, V, C)
	}
	return ps
}

// NumParams is the total element count of Params.
func (c Config) NumParams() int {
	n := 0
	for _, p := range c.Params() {
		n += p.Numel()
	}
	return n
}

// NewParamBlock allocates every parameter of c as one zeroed tensor of
// dtype dt (a float type) on b and returns it with a view per parameter,
// keyed by canonical name at its ParamSpec offset (llm.c's single
// parameter block: one allocation, and gradients or optimizer moments
// allocated the same way line up with the weights element for element).
// NewFromTensors accepts the views.
func NewParamBlock(c Config, b kernels.Backend, dt kernels.DType) (block kernels.Tensor, views map[string]kernels.Tensor) {
	block = b.Zeros(dt, c.NumParams())
	views = make(map[string]kernels.Tensor)
	for _, p := range c.Params() {
		views[p.Name] = b.View(block, p.Offset, p.Offset+p.Numel(), p.Shape...)
	}
	return block, views
}

// ForwardFLOPs is the floating-point operations of one forward pass over B
// sequences of T tokens: two per multiply-add of every weight matrix (the
// token embedding only when it is also the output head: a lookup costs
// none) and of the causal attention scores and weighted sums.
func (c Config) ForwardFLOPs(B, T int) float64 {
	n := 0
	for _, p := range c.Params() {
		if len(p.Shape) == 2 && (p.Name != NameTokenEmbd || c.TiedEmbeddings) {
			n += p.Numel()
		}
	}
	return 2*float64(n)*float64(B*T) + 2*float64(B*c.QDim()*T*(T+1)*c.NLayers)
}
