package model

import "github.com/distill-dev/distill/kernels"

// ArchLlama is the Llama family (llama2.c, Meta Llama 1/2/3.x, TinyLlama,
// SmolLM2, ...): RMSNorm, RoPE (Llama 3's scaled frequencies too),
// grouped-query attention, SwiGLU, no biases, head tied or not, head_dim
// explicit or dim/heads.
const ArchLlama = "llama"

// Llama is the declaration of ArchLlama.
var Llama = Register(&Family{
	Name:      ArchLlama,
	Norm:      RMSNorm,
	FFN:       SwiGLU,
	Pos:       RoPE,
	RopeOrder: kernels.RoPEInterleaved,
	Tied:      TiedOptional,
	GroupedKV: true,
	Supports:  []Feature{FeatureRopeScalingLlama3, FeatureRopeScalingLinear, FeatureRopeScalingDynamic},
	HF: HFNames{
		Architectures: []string{"LlamaForCausalLM"},
		ModelType:     "llama",
		Layer:         "model.layers",
		Globals:       llamaHFGlobals(),
		Layers:        llamaHFLayers(),
		Ignored:       []string{".rotary_emb.inv_freq"}, // RoPE frequency buffer of older checkpoints
		RopeOrder:     kernels.RoPEHalf,
		Config:        llamaHFConfig(),
	},
	GGUF: GGUFNames{Arch: "llama", VocabSizeKey: true},
})

// llamaHFLayers is the HF layer-tensor table of the Llama layout, which
// Mistral, Qwen2 and Qwen3 extend.
func llamaHFLayers(extra ...HFTensor) []HFTensor {
	return append([]HFTensor{
		{HF: "input_layernorm.weight", Canon: AttnNorm + ".weight"},
		{HF: "self_attn.q_proj.weight", Canon: AttnQ + ".weight"},
		{HF: "self_attn.k_proj.weight", Canon: AttnK + ".weight"},
		{HF: "self_attn.v_proj.weight", Canon: AttnV + ".weight"},
		{HF: "self_attn.o_proj.weight", Canon: AttnOutput + ".weight"},
		{HF: "post_attention_layernorm.weight", Canon: FFNNorm + ".weight"},
		{HF: "mlp.gate_proj.weight", Canon: FFNGate + ".weight"},
		{HF: "mlp.up_proj.weight", Canon: FFNUp + ".weight"},
		{HF: "mlp.down_proj.weight", Canon: FFNDown + ".weight"},
	}, extra...)
}

// llamaHFGlobals is the HF global-tensor table of the Llama layout.
func llamaHFGlobals() []HFTensor {
	return []HFTensor{
		{HF: "model.embed_tokens.weight", Canon: NameTokenEmbd},
		{HF: "model.norm.weight", Canon: NameOutputNorm},
		{HF: "lm_head.weight", Canon: NameOutput},
	}
}

// llamaHFConfig is the config.json key set of LlamaConfig, which
// MistralConfig and Qwen2Config share with other defaults.
func llamaHFConfig() HFConfigKeys {
	return HFConfigKeys{
		Dim: "hidden_size", Hidden: "intermediate_size", Layers: "num_hidden_layers",
		Heads: "num_attention_heads", KVHeads: "num_key_value_heads",
		MaxSeqLen: "max_position_embeddings", NormEps: "rms_norm_eps", RopeTheta: "rope_theta",
		HeadDim: "head_dim", Act: "hidden_act", ActValues: []string{"silu"},
		DefaultMaxSeqLen: 2048, DefaultNormEps: 1e-6, DefaultRopeTheta: 10000,
		Refused: []RefusedKey{
			{"attention_bias", "attention_bias is not supported"},
			{"mlp_bias", "mlp_bias is not supported"},
		},
	}
}
