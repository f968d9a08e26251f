package model

import "github.com/distill-dev/distill/kernels"

// ArchQwen2 is the Qwen2 family (Qwen2, Qwen2.5): the Llama layout with
// biases on the q, k and v projections, rotate_half RoPE in every format
// (llama.cpp's NEOX mode: no q/k permutation), tied or untied head,
// rope_theta 1e6 in the released models.
const ArchQwen2 = "qwen2"

// Qwen2 is the declaration of ArchQwen2.
var Qwen2 = Register(&Family{
	Name:      ArchQwen2,
	Norm:      RMSNorm,
	FFN:       SwiGLU,
	Pos:       RoPE,
	RopeOrder: kernels.RoPEHalf,
	Biases:    Biases{QKV: true},
	Tied:      TiedOptional,
	GroupedKV: true,
	HF: HFNames{
		Architectures: []string{"Qwen2ForCausalLM"},
		ModelType:     "qwen2",
		Layer:         "model.layers",
		Globals:       llamaHFGlobals(),
		Layers: llamaHFLayers(
			HFTensor{HF: "self_attn.q_proj.bias", Canon: AttnQ + ".bias"},
			HFTensor{HF: "self_attn.k_proj.bias", Canon: AttnK + ".bias"},
			HFTensor{HF: "self_attn.v_proj.bias", Canon: AttnV + ".bias"},
		),
		Ignored:   []string{".rotary_emb.inv_freq"},
		RopeOrder: kernels.RoPEHalf,
		Config:    qwenHFConfig(),
	},
	GGUF: GGUFNames{Arch: "qwen2", VocabSizeKey: true},
})

// qwenHFConfig is the config.json key set of Qwen2 and Qwen3
// (transformers' Qwen2Config/Qwen3Config). Their per-layer sliding window
// (use_sliding_window, off in every released model) is refused when on;
// sliding_window is then ignored, as transformers does.
func qwenHFConfig() HFConfigKeys {
	k := llamaHFConfig()
	k.DefaultMaxSeqLen = 32768
	k.Refused = []RefusedKey{
		{"use_sliding_window", "use_sliding_window true (Qwen's per-layer sliding window) is not supported; distill runs full attention only with it false"},
	}
	return k
}
