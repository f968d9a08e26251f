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
		Config:        mistralHFConfig(),
	},
	GGUF: GGUFNames{Arch: "llama", VocabSizeKey: true},
})

func mistralHFConfig() HFConfigKeys {
	k := llamaHFConfig()
	k.DefaultMaxSeqLen, k.Refused = 4096*32, nil
	return k
}
