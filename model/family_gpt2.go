package model

// ArchGPT2 is the GPT-2 family: LayerNorm, learned positions, GELU (tanh),
// biases everywhere, tied head, one key/value head per query head.
const ArchGPT2 = "gpt2"

// GPT2 is the declaration of ArchGPT2.
var GPT2 = Register(&Family{
	Name:   ArchGPT2,
	Norm:   LayerNorm,
	FFN:    GELUTanh,
	Pos:    Learned,
	Biases: Biases{Norm: true, QKV: true, AttnOut: true, FFN: true},
	Tied:   TiedAlways,
	HF: HFNames{
		Architectures: []string{"GPT2LMHeadModel"},
		ModelType:     "gpt2",
		Prefix:        "transformer.",
		Layer:         "h",
		Globals: []HFTensor{
			{HF: "wte.weight", Canon: NameTokenEmbd},
			{HF: "wpe.weight", Canon: NamePosEmbd},
			{HF: "ln_f.weight", Canon: NameOutputNorm},
			{HF: "ln_f.bias", Canon: NameOutputBias},
		},
		// Conv1D weights are stored [in, out]; c_attn fuses q, k, v.
		Layers: []HFTensor{
			{HF: "ln_1.weight", Canon: AttnNorm + ".weight"},
			{HF: "ln_1.bias", Canon: AttnNorm + ".bias"},
			{HF: "attn.c_attn.weight", Canon: AttnQKV + ".weight", Transpose: true},
			{HF: "attn.c_attn.bias", Canon: AttnQKV + ".bias"},
			{HF: "attn.c_proj.weight", Canon: AttnOutput + ".weight", Transpose: true},
			{HF: "attn.c_proj.bias", Canon: AttnOutput + ".bias"},
			{HF: "ln_2.weight", Canon: FFNNorm + ".weight"},
			{HF: "ln_2.bias", Canon: FFNNorm + ".bias"},
			{HF: "mlp.c_fc.weight", Canon: FFNUp + ".weight", Transpose: true},
			{HF: "mlp.c_fc.bias", Canon: FFNUp + ".bias"},
			{HF: "mlp.c_proj.weight", Canon: FFNDown + ".weight", Transpose: true},
			{HF: "mlp.c_proj.bias", Canon: FFNDown + ".bias"},
		},
		Ignored: []string{".attn.bias", ".attn.masked_bias"}, // causal-mask buffers
		Config: HFConfigKeys{
			Dim: "n_embd", Hidden: "n_inner", Layers: "n_layer", Heads: "n_head",
			MaxSeqLen: "n_positions", MaxSeqLenAlt: "n_ctx", NormEps: "layer_norm_epsilon",
			Act: "activation_function", ActValues: []string{"gelu_new", "gelu_pytorch_tanh"},
			DefaultDim: 768, DefaultLayers: 12, DefaultHeads: 12, DefaultVocab: 50257, DefaultMaxSeqLen: 1024,
			HiddenPerDim: 4, DefaultNormEps: 1e-5, DefaultTied: true,
			Refused: []RefusedKey{
				{"scale_attn_by_inverse_layer_idx", "scale_attn_by_inverse_layer_idx is not supported"},
			},
		},
	},
	GGUF: GGUFNames{Arch: "gpt2", FusedQKV: true},
})
