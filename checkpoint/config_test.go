package checkpoint

import (
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distill-dev/distill/checkpoint/llama2c"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
)

// configCases are configs of both families with the variations the
// format mappings must carry (GQA/MQA, tied or not, RoPE styles, unknown
// special ids).
var configCases = []struct {
	name string
	cfg  model.Config
}{
	{"llama-gqa-tied", model.Config{Arch: model.ArchLlama, Dim: 16, HiddenDim: 40, NLayers: 2, NHeads: 4, NKVHeads: 2,
		VocabSize: 37, MaxSeqLen: 16, NormEps: 1e-5, RopeTheta: 10000, TiedEmbeddings: true, BOS: 1, EOS: 2}},
	{"llama-mqa-untied-half", model.Config{Arch: model.ArchLlama, Dim: 30, HiddenDim: 27, NLayers: 3, NHeads: 3, NKVHeads: 1,
		VocabSize: 23, MaxSeqLen: 12, NormEps: 1e-6, RopeTheta: 500, RopeStyle: kernels.RoPEHalf, BOS: -1, EOS: -1}},
	{"gpt2", model.Config{Arch: model.ArchGPT2, Dim: 24, HiddenDim: 52, NLayers: 2, NHeads: 3, NKVHeads: 3,
		VocabSize: 41, MaxSeqLen: 16, NormEps: 1e-5, TiedEmbeddings: true, BOS: 40, EOS: 40}},
	{"llama3-scaled", model.Config{Arch: model.ArchLlama, Dim: 16, HiddenDim: 40, NLayers: 2, NHeads: 4, NKVHeads: 2, ExplicitHeadDim: 6,
		VocabSize: 37, MaxSeqLen: 16, NormEps: 1e-5, RopeTheta: 500000, TiedEmbeddings: true, BOS: 1, EOS: 2,
		RopeScaling: model.RopeScaling{Kind: "llama3", Factor: 32, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxSeqLen: 8192}}},
	{"llama-linear", model.Config{Arch: model.ArchLlama, Dim: 16, HiddenDim: 40, NLayers: 2, NHeads: 4, NKVHeads: 2,
		VocabSize: 37, MaxSeqLen: 16, NormEps: 1e-5, RopeTheta: 10000, BOS: 1, EOS: 2, RopeScaling: model.RopeScaling{Kind: "linear", Factor: 4}}},
	{"qwen2", model.Config{Arch: model.ArchQwen2, Dim: 16, HiddenDim: 40, NLayers: 2, NHeads: 4, NKVHeads: 2,
		VocabSize: 37, MaxSeqLen: 16, NormEps: 1e-6, RopeTheta: 1e6, RopeStyle: kernels.RoPEHalf, BOS: -1, EOS: 2}},
	{"qwen3", model.Config{Arch: model.ArchQwen3, Dim: 16, HiddenDim: 40, NLayers: 2, NHeads: 4, NKVHeads: 2, ExplicitHeadDim: 8,
		VocabSize: 37, MaxSeqLen: 16, NormEps: 1e-6, RopeTheta: 1e6, RopeStyle: kernels.RoPEHalf, TiedEmbeddings: true, BOS: -1, EOS: 2}},
	{"mistral", model.Config{Arch: model.ArchMistral, Dim: 16, HiddenDim: 40, NLayers: 2, NHeads: 4, NKVHeads: 2, SlidingWindow: 8,
		VocabSize: 37, MaxSeqLen: 16, NormEps: 1e-5, RopeTheta: 10000, BOS: 1, EOS: 2}},
}

func TestHFConfigRoundTrip(t *testing.T) {
	for _, tc := range configCases {
		t.Run(tc.name, func(t *testing.T) {
			js, err := HFConfigJSON(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseHFConfig(js)
			if err != nil {
				t.Fatalf("%v\n%s", err, js)
			}
			want := tc.cfg
			want.RopeStyle = want.Family().HF.RopeOrder
			if got != want {
				t.Errorf("round trip:\n got %+v\nwant %+v\n%s", got, want, js)
			}
		})
	}
}

func TestParseHFConfig(t *testing.T) {
	llama := `{"architectures":["LlamaForCausalLM"],"hidden_size":64,"intermediate_size":172,"num_hidden_layers":5,
		"num_attention_heads":8,"num_key_value_heads":4,"vocab_size":512,"max_position_embeddings":512,
		"rms_norm_eps":1e-05,"bos_token_id":1,"eos_token_id":[2,3]}`
	c, err := ParseHFConfig([]byte(llama))
	if err != nil {
		t.Fatal(err)
	}
	want := model.Config{Arch: model.ArchLlama, Dim: 64, HiddenDim: 172, NLayers: 5, NHeads: 8, NKVHeads: 4, VocabSize: 512,
		MaxSeqLen: 512, NormEps: 1e-5, RopeTheta: 10000, RopeStyle: kernels.RoPEHalf, BOS: 1, EOS: 2}
	if c != want {
		t.Errorf("llama:\n got %+v\nwant %+v", c, want)
	}
	// GPT-2 small's config.json, abridged: n_inner null means 4*n_embd.
	gpt2 := `{"architectures":["GPT2LMHeadModel"],"activation_function":"gelu_new","n_ctx":1024,"n_embd":768,
		"n_head":12,"n_inner":null,"n_layer":12,"n_positions":1024,"layer_norm_epsilon":1e-05,"vocab_size":50257,
		"bos_token_id":50256,"eos_token_id":50256}`
	c, err = ParseHFConfig([]byte(gpt2))
	if err != nil {
		t.Fatal(err)
	}
	want = model.Config{Arch: model.ArchGPT2, Dim: 768, HiddenDim: 3072, NLayers: 12, NHeads: 12, NKVHeads: 12, VocabSize: 50257,
		MaxSeqLen: 1024, NormEps: 1e-5, TiedEmbeddings: true, BOS: 50256, EOS: 50256}
	if c != want {
		t.Errorf("gpt2:\n got %+v\nwant %+v", c, want)
	}
	bad := []struct{ json, want string }{
		{`{"architectures":["BertModel"]}`, "unknown architecture"},
		{`{"architectures":["LlamaForCausalLM"],"hidden_size":64,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":6,"vocab_size":9}`, "not a multiple of n_heads"},
		{llamaWith(`"rope_scaling":{"type":"linear"}`), `rope_scaling "linear": factor 0 must be a finite number > 0`},
		{llamaWith(`"rope_scaling":{"rope_type":"llama3","factor":8}`), "low_freq_factor 0 and high_freq_factor 0 must be finite"},
		{llamaWith(`"rope_scaling":{"rope_type":"yarn","factor":8}`), "rope_scaling:yarn is not supported by family llama (supported: rope_scaling:llama3, rope_scaling:linear, rope_scaling:dynamic)"},
		{llamaWith(`"rope_scaling":{"type":"dynamic"}`), `rope_scaling "dynamic": factor 0 must be`},
		{llamaWith(`"rope_scaling":{"rope_type":"llama3","factor":8,"low_freq_factor":4,"high_freq_factor":1,"original_max_position_embeddings":8192}`), "0 < low < high"},
		{llamaWith(`"sliding_window":4096`), "sliding_window is not supported by family llama"},
		{llamaWith(`"head_dim":7`), "head_dim 7: must be an even number > 0"},
		{llamaWith(`"head_dim":0`), "head_dim 0"},
		{`{"architectures":["GPT2LMHeadModel"],"head_dim":64}`, "head_dim is not a key of gpt2 configs"},
		{`{"architectures":["Qwen2ForCausalLM"],"use_sliding_window":true}`, "use_sliding_window true"},
		{`{"architectures":["Qwen3ForCausalLM"],"attention_bias":true}`, "attention_bias true is not supported for qwen3"},
		{`{"architectures":["GemmaForCausalLM"],"model_type":"gemma"}`, "supported: "},
		{`{"architectures":["LlamaForCausalLM"],"attention_bias":true}`, "attention_bias"},
		{`{"architectures":["GPT2LMHeadModel"],"tie_word_embeddings":false}`, "tie_word_embeddings false"},
		{`{"architectures":["GPT2LMHeadModel"],"activation_function":"relu"}`, "activation_function"},
		{`{"architectures":["LlamaForCausalLM"],"hidden_size":64,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":8,"num_key_value_heads":3,"vocab_size":9}`, "n_kv_heads 3"},
		{`{"architectures":`, "config.json"},
	}
	for _, b := range bad {
		if _, err := ParseHFConfig([]byte(b.json)); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("ParseHFConfig(%s) = %v, want error with %q", b.json, err, b.want)
		}
	}
}

// llamaWith is a valid small Llama config.json with extra keys.
func llamaWith(extra string) string {
	return `{"architectures":["LlamaForCausalLM"],"hidden_size":64,"intermediate_size":172,"num_hidden_layers":2,` +
		`"num_attention_heads":8,"num_key_value_heads":4,"vocab_size":512,` + extra + `}`
}

func TestLlama2CHeader(t *testing.T) {
	h := llama2c.Header{Dim: 64, HiddenDim: 172, NLayers: 5, NHeads: 8, NKVHeads: 4, VocabSize: 512, SeqLen: 512, SharedClassifier: true}
	c, err := ConfigFromLlama2C(h)
	if err != nil {
		t.Fatal(err)
	}
	if !c.TiedEmbeddings || c.KVDim() != 32 || c.RopeStyle != kernels.RoPEInterleaved || c.NumParams() != 264128-2*512*4 /* README count includes two RoPE tables */ {
		t.Errorf("config %v, %d params", c, c.NumParams())
	}
	back, err := Llama2CHeader(c)
	if err != nil || back != h {
		t.Errorf("Llama2CHeader() = %v, %v; want %v", back, err, h)
	}
	h.SharedClassifier = false
	if c, _ := ConfigFromLlama2C(h); c.TiedEmbeddings {
		t.Error("a separate classifier should untie the classifier")
	}
	h.NHeads = 0
	if _, err := ConfigFromLlama2C(h); err == nil || !strings.Contains(err.Error(), "n_heads = 0") {
		t.Errorf("zero heads: err = %v", err)
	}
}

func TestGGUFMetadataRoundTrip(t *testing.T) {
	for _, tc := range configCases {
		want := tc.cfg
		got, err := ConfigFromGGUF(ggufConfigMetadata(want), want.VocabSize, want.TiedEmbeddings)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want.RopeStyle = want.Family().RopeOrder
		if got != want {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, want)
		}
	}
	if _, err := ConfigFromGGUF(map[string]any{"general.architecture": "falcon"}, 10, true); err == nil || !strings.Contains(err.Error(), `unknown architecture "falcon"`) {
		t.Errorf("falcon: err = %v", err)
	}
	if _, err := ConfigFromGGUF(map[string]any{"general.architecture": "llama"}, 10, true); err == nil || !strings.Contains(err.Error(), "missing llama.embedding_length") {
		t.Errorf("empty llama: err = %v", err)
	}
}

func TestHFRopePermutation(t *testing.T) {
	perm := HFRopePermutation(2, 4)
	if want := []int{0, 2, 1, 3, 4, 6, 5, 7}; !slices.Equal(perm, want) {
		t.Errorf("HFRopePermutation(2, 4) = %v, want %v", perm, want)
	}
}

// TestGGUFHostileValues: non-finite and rope-scaling metadata is refused
// with the key named (rope.freq_base = +Inf once loaded with ppl 101).
func TestGGUFHostileValues(t *testing.T) {
	base := model.Config{Arch: model.ArchLlama, Dim: 64, HiddenDim: 172, NLayers: 2, NHeads: 8, NKVHeads: 4,
		VocabSize: 512, MaxSeqLen: 512, NormEps: 1e-5, RopeTheta: 10000, TiedEmbeddings: true, BOS: 1, EOS: 2}
	inf, nan := math.Inf(1), math.NaN()
	cases := []struct {
		name string
		kv   map[string]any
		want string // "" = accepted
	}{
		{"freq_base +Inf", map[string]any{"llama.rope.freq_base": float32(inf)}, "llama.rope.freq_base = +Inf is not a usable number"},
		{"freq_base NaN", map[string]any{"llama.rope.freq_base": nan}, "llama.rope.freq_base = NaN is not a usable number"},
		{"eps +Inf", map[string]any{"llama.attention.layer_norm_rms_epsilon": float32(inf)}, "layer_norm_rms_epsilon = +Inf"},
		{"context 1e300", map[string]any{"llama.context_length": 1e300}, "llama.context_length = 1e+300 is not a usable number"},
		{"block_count NaN", map[string]any{"llama.block_count": float32(nan)}, "llama.block_count = NaN"},
		{"scaling linear 4", map[string]any{"llama.rope.scaling.type": "linear", "llama.rope.scaling.factor": float32(4)}, ""},
		{"scaling yarn", map[string]any{"llama.rope.scaling.type": "yarn", "llama.rope.scaling.factor": float32(4)}, "rope_scaling:yarn is not supported by family llama"},
		{"factor without type", map[string]any{"llama.rope.scaling.factor": float32(2)}, ""},
		{"legacy scale_linear", map[string]any{"llama.rope.scale_linear": float32(2)}, ""},
		{"llama3 keys incomplete", map[string]any{metaLlama3 + "factor": float32(8)}, "low_freq_factor 0"},
		{"odd key_length", map[string]any{"llama.attention.key_length": uint32(7), "llama.rope.dimension_count": uint32(7)}, "head dim 7 is odd"},
		{"value_length differs", map[string]any{"llama.attention.key_length": uint32(16), "llama.attention.value_length": uint32(8)}, "value_length 8 != key_length 16"},
		{"scaling type not a string", map[string]any{"llama.rope.scaling.type": uint32(1)}, "rope.scaling.type has type uint32"},
		{"scaling none", map[string]any{"llama.rope.scaling.type": "none"}, ""},
		{"linear factor 1", map[string]any{"llama.rope.scaling.type": "linear", "llama.rope.scaling.factor": float32(1)}, ""},
	}
	for _, c := range cases {
		meta := ggufConfigMetadata(base)
		maps.Copy(meta, c.kv)
		_, err := ConfigFromGGUF(meta, base.VocabSize, true)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}

// TestInspectHostBytes: Inspect of an HF Llama checkpoint and of its
// config.json alone count the q/k bytes Load copies into memory (HF's
// rotate_half row order moved to the family's), and nothing else.
func TestInspectHostBytes(t *testing.T) {
	cfg := model.Config{Arch: model.ArchLlama, Dim: 32, HiddenDim: 48, NLayers: 2, NHeads: 4, NKVHeads: 2, VocabSize: 64,
		MaxSeqLen: 16, NormEps: 1e-5, RopeTheta: 1e4, BOS: 1, EOS: 2}
	b := cpu.New(1)
	dir := t.TempDir()
	src := model.RandomSource("r", cfg, b, kernels.BF16, 1)
	if err := WriteHF(dir, cfg, src, nil, HFOptions{}); err != nil {
		t.Fatal(err)
	}
	want := int64(2 * 2 * (32*32 + 16*32)) // bf16 q [32,32] and k [16,32], 2 layers
	info, err := Inspect(dir)
	if err != nil {
		t.Fatal(err)
	}
	if info.HostBytes != want {
		t.Errorf("weights: HostBytes %d, want %d", info.HostBytes, want)
	}
	cdir := t.TempDir()
	js, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	os.WriteFile(filepath.Join(cdir, "config.json"), js, 0o644)
	if info, err := Inspect(cdir); err != nil || info.HostBytes != want {
		t.Errorf("config.json alone: HostBytes %v, want %d (%v)", info.HostBytes, want, err)
	}
}
