package checkpoint

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
)

// hfConfig holds the fields of HF LlamaConfig and GPT2Config that distill
// reads. Pointers distinguish absent fields (which take HF's defaults) from
// zeros.
type hfConfig struct {
	Architectures []string `json:"architectures,omitempty"`
	ModelType     string   `json:"model_type,omitempty"`

	// LlamaConfig
	HiddenSize            *int            `json:"hidden_size,omitempty"`
	IntermediateSize      *int            `json:"intermediate_size,omitempty"`
	NumHiddenLayers       *int            `json:"num_hidden_layers,omitempty"`
	NumAttentionHeads     *int            `json:"num_attention_heads,omitempty"`
	NumKeyValueHeads      *int            `json:"num_key_value_heads,omitempty"`
	MaxPositionEmbeddings *int            `json:"max_position_embeddings,omitempty"`
	RMSNormEps            *float64        `json:"rms_norm_eps,omitempty"`
	RopeTheta             *float64        `json:"rope_theta,omitempty"`
	RopeScaling           json.RawMessage `json:"rope_scaling,omitempty"`
	HiddenAct             string          `json:"hidden_act,omitempty"`
	HeadDim               *int            `json:"head_dim,omitempty"`
	AttentionBias         bool            `json:"attention_bias,omitempty"`
	MLPBias               bool            `json:"mlp_bias,omitempty"`

	// GPT2Config
	NEmbd                *int     `json:"n_embd,omitempty"`
	NLayer               *int     `json:"n_layer,omitempty"`
	NHead                *int     `json:"n_head,omitempty"`
	NPositions           *int     `json:"n_positions,omitempty"`
	NCtx                 *int     `json:"n_ctx,omitempty"`
	NInner               *int     `json:"n_inner,omitempty"`
	LayerNormEpsilon     *float64 `json:"layer_norm_epsilon,omitempty"`
	ActivationFunction   string   `json:"activation_function,omitempty"`
	ScaleAttnByInverse   *bool    `json:"scale_attn_by_inverse_layer_idx,omitempty"`
	ReorderAndUpcastAttn *bool    `json:"reorder_and_upcast_attn,omitempty"`

	VocabSize         *int            `json:"vocab_size,omitempty"`
	TieWordEmbeddings *bool           `json:"tie_word_embeddings,omitempty"`
	BOSTokenID        json.RawMessage `json:"bos_token_id,omitempty"`
	EOSTokenID        json.RawMessage `json:"eos_token_id,omitempty"`
	TorchDType        string          `json:"torch_dtype,omitempty"`
}

// ParseHFConfig maps an HF config.json (LlamaForCausalLM or
// GPT2LMHeadModel) onto a Config and validates it. HF Llama checkpoints
// store q/k rows permuted for rotate_half, so the config gets
// kernels.RoPEHalf. Absent fields take HF's defaults (rms_norm_eps 1e-6,
// rope_theta 10000, num_key_value_heads = num_attention_heads, untied
// Llama head, tied GPT-2 head, n_inner = 4 n_embd).
func ParseHFConfig(data []byte) (model.Config, error) {
	var h hfConfig
	if err := json.Unmarshal(data, &h); err != nil {
		return model.Config{}, fmt.Errorf("checkpoint: config.json: %w", err)
	}
	arch := ""
	switch {
	case slices.Contains(h.Architectures, "LlamaForCausalLM"), h.ModelType == "llama" && len(h.Architectures) == 0:
		arch = model.ArchLlama
	case slices.Contains(h.Architectures, "GPT2LMHeadModel"), h.ModelType == "gpt2" && len(h.Architectures) == 0:
		arch = model.ArchGPT2
	default:
		return model.Config{}, fmt.Errorf("checkpoint: config.json: unknown architecture %v (model_type %q); supported: LlamaForCausalLM, GPT2LMHeadModel", h.Architectures, h.ModelType)
	}
	var c model.Config
	var err error
	if arch == model.ArchLlama {
		c, err = h.llama()
	} else {
		c, err = h.gpt2()
	}
	if err != nil {
		return model.Config{}, fmt.Errorf("checkpoint: config.json: %w", err)
	}
	if c.BOS, err = tokenID(h.BOSTokenID); err != nil {
		return model.Config{}, fmt.Errorf("checkpoint: config.json: bos_token_id: %w", err)
	}
	if c.EOS, err = tokenID(h.EOSTokenID); err != nil {
		return model.Config{}, fmt.Errorf("checkpoint: config.json: eos_token_id: %w", err)
	}
	if err := c.Validate(); err != nil {
		return model.Config{}, fmt.Errorf("config.json: %w", err)
	}
	return c, nil
}

func (h *hfConfig) llama() (model.Config, error) {
	if len(h.RopeScaling) > 0 && string(h.RopeScaling) != "null" {
		return model.Config{}, fmt.Errorf("rope_scaling %s is not supported", h.RopeScaling)
	}
	if h.HiddenAct != "" && h.HiddenAct != "silu" {
		return model.Config{}, fmt.Errorf("hidden_act %q is not supported (want silu)", h.HiddenAct)
	}
	if h.AttentionBias || h.MLPBias {
		return model.Config{}, fmt.Errorf("attention_bias / mlp_bias are not supported")
	}
	c := model.Config{
		Arch: model.ArchLlama, Dim: deref(h.HiddenSize, 0), HiddenDim: deref(h.IntermediateSize, 0),
		NLayers: deref(h.NumHiddenLayers, 0), NHeads: deref(h.NumAttentionHeads, 0),
		VocabSize: deref(h.VocabSize, 0), MaxSeqLen: deref(h.MaxPositionEmbeddings, 2048),
		NormEps: float32(deref(h.RMSNormEps, 1e-6)), RopeTheta: float32(deref(h.RopeTheta, 10000)),
		RopeStyle: kernels.RoPEHalf, TiedEmbeddings: deref(h.TieWordEmbeddings, false),
	}
	c.NKVHeads = deref(h.NumKeyValueHeads, c.NHeads)
	if h.HeadDim != nil && c.NHeads > 0 && *h.HeadDim != c.Dim/c.NHeads {
		return model.Config{}, fmt.Errorf("head_dim %d != hidden_size/num_attention_heads %d is not supported", *h.HeadDim, c.Dim/c.NHeads)
	}
	return c, nil
}

func (h *hfConfig) gpt2() (model.Config, error) {
	if h.ActivationFunction != "" && h.ActivationFunction != "gelu_new" && h.ActivationFunction != "gelu_pytorch_tanh" {
		return model.Config{}, fmt.Errorf("activation_function %q is not supported (want gelu_new)", h.ActivationFunction)
	}
	if deref(h.ScaleAttnByInverse, false) {
		return model.Config{}, fmt.Errorf("scale_attn_by_inverse_layer_idx is not supported")
	}
	if !deref(h.TieWordEmbeddings, true) {
		return model.Config{}, fmt.Errorf("tie_word_embeddings false is not supported for gpt2")
	}
	c := model.Config{
		Arch: model.ArchGPT2, Dim: deref(h.NEmbd, 768), NLayers: deref(h.NLayer, 12), NHeads: deref(h.NHead, 12),
		VocabSize: deref(h.VocabSize, 50257), MaxSeqLen: deref(h.NPositions, deref(h.NCtx, 1024)),
		NormEps: float32(deref(h.LayerNormEpsilon, 1e-5)), TiedEmbeddings: true,
	}
	c.NKVHeads = c.NHeads
	c.HiddenDim = deref(h.NInner, 4*c.Dim)
	return c, nil
}

// widen converts v to the float64 with the shortest decimal form that
// rounds back to v, so that 1e-5 is written as 1e-05, not 9.99999974e-06.
func widen(v float32) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(v), 'g', -1, 32), 64)
	return f
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// tokenID reads bos/eos_token_id as one id: -1 when absent, the first
// entry of a list (generation stops at any of them: Loaded.EndIDs).
func tokenID(raw json.RawMessage) (int32, error) {
	ids, err := tokenIDs(raw)
	if err != nil || len(ids) == 0 {
		return -1, err
	}
	return ids[0], nil
}

// HFConfigJSON renders c as an HF config.json (LlamaConfig or GPT2Config)
// that ParseHFConfig maps back to c, except that a Llama config always reads
// back with RoPEHalf: writers of HF checkpoints permute q/k rows (see
// HFRopePermutation) when c uses RoPEInterleaved.
func HFConfigJSON(c model.Config) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	id := func(v int32) json.RawMessage {
		if v < 0 {
			return json.RawMessage("null")
		}
		return json.RawMessage(fmt.Sprint(v))
	}
	var h hfConfig
	h.VocabSize = &c.VocabSize
	h.TieWordEmbeddings = &c.TiedEmbeddings
	h.BOSTokenID, h.EOSTokenID = id(c.BOS), id(c.EOS)
	h.TorchDType = "float32"
	eps := widen(c.NormEps)
	switch c.Arch {
	case model.ArchLlama:
		theta := widen(c.RopeTheta)
		h.Architectures, h.ModelType, h.HiddenAct = []string{"LlamaForCausalLM"}, "llama", "silu"
		h.HiddenSize, h.IntermediateSize, h.NumHiddenLayers = &c.Dim, &c.HiddenDim, &c.NLayers
		h.NumAttentionHeads, h.NumKeyValueHeads, h.MaxPositionEmbeddings = &c.NHeads, &c.NKVHeads, &c.MaxSeqLen
		h.RMSNormEps, h.RopeTheta = &eps, &theta
	case model.ArchGPT2:
		h.Architectures, h.ModelType, h.ActivationFunction = []string{"GPT2LMHeadModel"}, "gpt2", "gelu_new"
		h.NEmbd, h.NLayer, h.NHead, h.NPositions, h.NCtx, h.NInner = &c.Dim, &c.NLayers, &c.NHeads, &c.MaxSeqLen, &c.MaxSeqLen, &c.HiddenDim
		h.LayerNormEpsilon = &eps
	}
	return json.MarshalIndent(&h, "", "  ")
}
