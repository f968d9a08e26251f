package model

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/distill-dev/distill/kernels"
)

// Family is the one declaration of a model family (Llama, GPT-2, ...): the
// traits the forward, backward, parameter layout, loaders and writers read
// instead of switching on the family's name, and the family's names in
// each checkpoint format. Each family is declared in its own file
// (family_llama.go, family_gpt2.go) and registered by name; Config.Arch
// names it.
//
// An optional Config feature (a RopeScaling kind, SlidingWindow) is
// accepted only when the family lists it in Supports and distill
// implements it; Config.Validate refuses the others with an error naming
// the feature and what the family supports, never silently ignoring it.
type Family struct {
	// Name is Config.Arch and GGUF's general.architecture.
	Name string

	Norm NormKind // of every norm (attention, FFN, final)
	FFN  FFNKind
	Pos  PosKind
	// RopeOrder is the RoPE pairing of the family's own q/k rows, as GGUF
	// files store them: kernels.RoPEInterleaved (Llama, GPT-J) or
	// kernels.RoPEHalf (GPT-NeoX, Qwen2). Loaders give every format of a
	// family this order so that all give bit-identical logits.
	RopeOrder kernels.RoPEStyle
	// Biases says which tensors carry a bias vector.
	Biases Biases
	// QKNorm is a per-head RMSNorm of q and k before RoPE (Qwen3): weights
	// attn_q_norm and attn_k_norm of HeadDim each, the model's norm eps.
	QKNorm bool
	// Tied says whether the classifier may be, or must be, the token
	// embedding.
	Tied TiedHead
	// GroupedKV says the family may have fewer key/value heads than
	// query heads (grouped-query attention); without it NKVHeads must
	// equal NHeads.
	GroupedKV bool
	// Supports lists the optional Config features (RopeScaling kinds,
	// SlidingWindow) the family may use. Validate refuses the others, and
	// every feature not implemented yet.
	Supports []Feature

	HF   HFNames
	GGUF GGUFNames
}

// NormKind is the normalization a family uses.
type NormKind int

const (
	RMSNorm   NormKind = iota // x / sqrt(mean(x²) + eps) ⊙ g
	LayerNorm                 // (x - mean) / sqrt(var + eps) ⊙ g + b
)

// FFNKind is the feed-forward block of a family.
type FFNKind int

const (
	SwiGLU   FFNKind = iota // down(silu(gate(x)) ⊙ up(x)); has ffn_gate
	GELUTanh                // down(gelu_tanh(up(x)))
)

// Gated says the FFN has a gate projection (ffn_gate).
func (k FFNKind) Gated() bool { return k == SwiGLU }

// PosKind is how a family encodes positions.
type PosKind int

const (
	RoPE    PosKind = iota // rotary embeddings of q and k (Config.RopeTheta, RopeStyle)
	Learned                // a learned table position_embd added to the token embedding
)

// Biases says which tensors of a family carry a bias.
type Biases struct {
	Norm    bool // attn_norm, ffn_norm and output_norm (LayerNorm's b)
	QKV     bool // attn_q, attn_k, attn_v
	AttnOut bool // attn_output
	FFN     bool // ffn_up, ffn_down (and ffn_gate when gated)
}

// TiedHead says whether a family's classifier is the token embedding.
type TiedHead int

const (
	TiedOptional TiedHead = iota // Config.TiedEmbeddings decides
	TiedAlways                   // the head is always the token embedding
)

// Feature is an optional Config feature a family may support.
type Feature string

// Features of issue 11's families, declared so a config that asks for one
// gets a clear refusal until it is implemented.
const (
	FeatureRopeScalingLlama3  Feature = "rope_scaling:" + RopeScalingLlama3
	FeatureRopeScalingLinear  Feature = "rope_scaling:" + RopeScalingLinear
	FeatureRopeScalingDynamic Feature = "rope_scaling:" + RopeScalingDynamic
	FeatureSlidingWindow      Feature = "sliding_window"
)

// implemented lists the features the forward and backward passes handle.
var implemented = map[Feature]bool{
	FeatureRopeScalingLlama3:  true,
	FeatureRopeScalingLinear:  true,
	FeatureRopeScalingDynamic: true,
	FeatureSlidingWindow:      true,
}

// HFNames are a family's names in HF transformers checkpoints.
type HFNames struct {
	// Architectures are config.json's "architectures" values of the family
	// (the first is written), ModelType its "model_type".
	Architectures []string
	ModelType     string
	// Prefix is prepended to every tensor name when writing; readers accept
	// names with or without it (GPT-2's "transformer.").
	Prefix string
	// Layer is the prefix of layer l's tensors: Layer + ".<l>." + suffix.
	Layer string
	// Globals and Layers map HF names (full for globals, suffixes after
	// the layer prefix for layers) to canonical ones ("attn_q.weight",
	// model.AttnQKV for a fused q/k/v).
	Globals []HFTensor
	Layers  []HFTensor
	// Ignored are name suffixes that carry no parameter (causal-mask
	// buffers, RoPE frequency tables); readers skip them.
	Ignored []string
	// RopeOrder is the RoPE pairing HF's modeling code expects of the
	// family's checkpoints (rotate_half, kernels.RoPEHalf, for most);
	// when it differs from Family.RopeOrder the q/k rows are stored
	// permuted (checkpoint.HFRopePermutation), as HF's Llama conversion
	// does.
	RopeOrder kernels.RoPEStyle
	// Config is the family's config.json key set.
	Config HFConfigKeys
}

// HFTensor maps one HF tensor name to its canonical name.
type HFTensor struct {
	HF, Canon string
	// Transpose marks Conv1D weights stored [in, out].
	Transpose bool
}

// HFConfigKeys names the config.json keys of a family and their defaults.
// An empty key is absent from the family's config.json.
type HFConfigKeys struct {
	Dim, Hidden, Layers, Heads, KVHeads, MaxSeqLen, NormEps, RopeTheta string
	// MaxSeqLenAlt is read when MaxSeqLen is absent (GPT-2's n_ctx).
	MaxSeqLenAlt string
	// HeadDim is the explicit head-width key (Config.ExplicitHeadDim) and
	// SlidingWindow the window key (Config.SlidingWindow); empty when the
	// family's config.json has none.
	HeadDim, SlidingWindow string
	// Act is the activation key and ActValues the values distill runs.
	Act       string
	ActValues []string
	// Defaults of absent keys (HF's config class defaults); 0 means
	// required. HiddenPerDim, when > 0, makes the hidden default
	// HiddenPerDim * dim.
	DefaultDim, DefaultLayers, DefaultHeads, DefaultVocab, DefaultMaxSeqLen int
	HiddenPerDim                                                            int
	DefaultNormEps, DefaultRopeTheta                                        float64
	DefaultTied                                                             bool
	// Refused are keys whose presence with a true or non-null value means
	// a feature distill lacks, with the reason.
	Refused []RefusedKey
}

// RefusedKey is a config.json key that distill cannot honour.
type RefusedKey struct{ Key, Why string }

// GGUFNames are a family's names in GGUF files (llama.cpp's).
type GGUFNames struct {
	// Arch is general.architecture and the prefix of the hyperparameter
	// keys.
	Arch string
	// FusedQKV stores q, k and v fused by rows as blk.N.attn_qkv, as
	// llama.cpp's graph for the family expects.
	FusedQKV bool
	// VocabSizeKey writes <arch>.vocab_size (the classifier's rows). It
	// is left out where a padded vocabulary could disagree with the
	// tokenizer's token count in llama.cpp's checks.
	VocabSizeKey bool
}

// AttnQKV is the canonical part of a fused q/k/v projection in files that
// store one (GGUF gpt2, HF GPT-2's c_attn); loaders split it.
const AttnQKV = "attn_qkv"

var families = map[string]*Family{}

// Register adds a family declaration; each family file calls it once from
// a package-level variable. Registering a name twice panics.
func Register(f *Family) *Family {
	if _, dup := families[f.Name]; dup {
		panic("model: family " + f.Name + " registered twice")
	}
	families[f.Name] = f
	return f
}

// Unregister removes a family registered by a test.
func Unregister(name string) { delete(families, name) }

// FamilyOf returns the declaration of the family named arch.
func FamilyOf(arch string) (*Family, error) {
	if f, ok := families[arch]; ok {
		return f, nil
	}
	return nil, fmt.Errorf("unknown architecture %q (known: %v)", arch, FamilyNames())
}

// FamilyNames lists the registered families, sorted.
func FamilyNames() []string {
	names := make([]string, 0, len(families))
	for n := range families {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Families returns every registered family, sorted by name.
func Families() []*Family {
	out := make([]*Family, 0, len(families))
	for _, n := range FamilyNames() {
		out = append(out, families[n])
	}
	return out
}

// Family returns c's family declaration. c must have a registered Arch
// (Validate checks it); Family panics otherwise.
func (c Config) Family() *Family {
	f, err := FamilyOf(c.Arch)
	if err != nil {
		panic("model: " + err.Error())
	}
	return f
}

// CheckFeature reports an error unless f declares and distill implements
// feature x.
func (f *Family) CheckFeature(x Feature) error {
	if !slices.Contains(f.Supports, x) || !implemented[x] {
		var ok []string
		for _, s := range f.Supports {
			if implemented[s] {
				ok = append(ok, string(s))
			}
		}
		why := "is not supported"
		if slices.Contains(f.Supports, x) {
			why = "is not implemented yet"
		}
		if len(ok) == 0 {
			return fmt.Errorf("%s %s by family %s (it supports none of the optional features)", x, why, f.Name)
		}
		return fmt.Errorf("%s %s by family %s (supported: %s)", x, why, f.Name, strings.Join(ok, ", "))
	}
	return nil
}

// HasBias says whether canonical part (AttnNorm, AttnQ, ...) carries a bias
// in family f.
func (f *Family) HasBias(part string) bool {
	switch part {
	case AttnNorm, FFNNorm:
		return f.Biases.Norm
	case AttnQ, AttnK, AttnV:
		return f.Biases.QKV
	case AttnQNorm, AttnKNorm:
		return false
	case AttnOutput:
		return f.Biases.AttnOut
	case FFNGate, FFNUp, FFNDown:
		return f.Biases.FFN
	}
	return false
}
