package model

import "github.com/distill-dev/distill/kernels"

// ArchMistral is the Mistral family: the Llama layout with a sliding
// attention window (sliding_window; null or a window >= the context is
// full attention). llama.cpp stores it as a "llama" GGUF (its converter
// does the same), with the window under llama.attention.sliding_window.
const ArchMistral = "mistral"

// Mistral is the declaration of ArchMistral.
var Mistral = Register(&Family{
	Name:      ArchMistral,
	Norm:      RMSNorm,
	FFN:       SwiGLU,
	Pos:       RoPE,
	RopeOrder: kernels.RoPEInterleaved,
	Tied:      TiedOptional,
	GroupedKV: true,
	Supports:  []Feature{FeatureSlidingWindow},
	HF: HFNames{
		Architectures: []string{"MistralForCausalLM"},
		ModelType:     "mistral",
		Layer:         "model.layers",
		Globals:       llamaHFGlobals(),
		Layers:        llamaHFLayers(),
		Ignored:       []string{".rotary_emb.inv_freq"},
		RopeOrder:     kernels.RoPEHalf,
		Config: HFConfigKeys{
			Dim: "hidden_size", Hidden: "intermediate_size", Layers: "num_hidden_layers",
			Heads: "num_attention_heads", KVHeads: "num_key_value_heads",
			MaxSeqLen: "max_position_embeddings", NormEps: "rms_norm_eps", RopeTheta: "rope_theta",
			HeadDim: "head_dim", SlidingWindow: "sliding_window", Act: "hidden_act", ActValues: []string{"silu"},
			DefaultMaxSeqLen: 4096 * 32, DefaultNormEps: 1e-6, DefaultRopeTheta: 10000,
		},
	},
	GGUF: GGUFNames{Arch: "llama", VocabSizeKey: true},
})
