package model

import "github.com/distill-dev/distill/kernels"

// ArchQwen3 is the Qwen3 family: the Llama layout without biases, a
// per-head RMSNorm of q and k before RoPE (q_norm, k_norm), an explicit
// head_dim (128 with hidden 1024 and 16 heads in Qwen3-0.6B), rotate_half
// RoPE in every format.
const ArchQwen3 = "qwen3"

// Qwen3 is the declaration of ArchQwen3.
var Qwen3 = Register(&Family{
	Name:      ArchQwen3,
	Norm:      RMSNorm,
	FFN:       SwiGLU,
	Pos:       RoPE,
	RopeOrder: kernels.RoPEHalf,
	QKNorm:    true,
	Tied:      TiedOptional,
	GroupedKV: true,
	HF: HFNames{
		Architectures: []string{"Qwen3ForCausalLM"},
		ModelType:     "qwen3",
		Layer:         "model.layers",
		Globals:       llamaHFGlobals(),
		Layers: llamaHFLayers(
			HFTensor{HF: "self_attn.q_norm.weight", Canon: AttnQNorm + ".weight"},
			HFTensor{HF: "self_attn.k_norm.weight", Canon: AttnKNorm + ".weight"},
		),
		Ignored:   []string{".rotary_emb.inv_freq"},
		RopeOrder: kernels.RoPEHalf,
		Config:    qwen3HFConfig(),
	},
	GGUF: GGUFNames{Arch: "qwen3", VocabSizeKey: true},
})

func qwen3HFConfig() HFConfigKeys {
	k := qwenHFConfig()
	k.Refused = append(k.Refused, RefusedKey{"attention_bias", "attention_bias true is not supported for qwen3 (its released models have none)"})
	return k
}
