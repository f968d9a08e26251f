package checkpoint

import (
	"fmt"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
)

// ConfigFromGGUF maps GGUF metadata (general.architecture and the
// <arch>.* keys of llama.cpp, tokenizer.ggml.bos/eos_token_id) onto a
// Config. vocabSize is the row count of token_embd.weight and tied says
// whether the file lacks output.weight. GGUF llama files hold the original
// (un-permuted) q/k rows, so the config gets kernels.RoPEInterleaved.
// Numeric values may be any Go integer or float type.
func ConfigFromGGUF(meta map[string]any, vocabSize int, tied bool) (model.Config, error) {
	arch, _ := meta["general.architecture"].(string)
	if arch != model.ArchLlama && arch != model.ArchGPT2 {
		return model.Config{}, fmt.Errorf("gguf: unknown architecture %q (want %q or %q)", arch, model.ArchLlama, model.ArchGPT2)
	}
	var errs []error
	num := func(key string, def float64, required bool) float64 {
		v, ok := meta[arch+"."+key]
		if !ok {
			v, ok = meta[key]
		}
		if !ok {
			if required {
				errs = append(errs, fmt.Errorf("missing %s.%s", arch, key))
			}
			return def
		}
		f, ok := toFloat(v)
		if !ok {
			errs = append(errs, fmt.Errorf("%s.%s has type %T, want a number", arch, key, v))
		}
		return f
	}
	c := model.Config{
		Arch: arch, Dim: int(num("embedding_length", 0, true)), HiddenDim: int(num("feed_forward_length", 0, true)),
		NLayers: int(num("block_count", 0, true)), NHeads: int(num("attention.head_count", 0, true)),
		VocabSize: vocabSize, MaxSeqLen: int(num("context_length", 0, true)), TiedEmbeddings: tied,
		BOS: int32(num("tokenizer.ggml.bos_token_id", -1, false)), EOS: int32(num("tokenizer.ggml.eos_token_id", -1, false)),
	}
	c.NKVHeads = int(num("attention.head_count_kv", float64(c.NHeads), false))
	if arch == model.ArchLlama {
		c.NormEps = float32(num("attention.layer_norm_rms_epsilon", 1e-5, false))
		c.RopeTheta = float32(num("rope.freq_base", 10000, false))
		c.RopeStyle = kernels.RoPEInterleaved
		if c.NHeads > 0 {
			if rd := int(num("rope.dimension_count", float64(c.Dim/c.NHeads), false)); rd != c.Dim/c.NHeads {
				errs = append(errs, fmt.Errorf("llama.rope.dimension_count %d != head dim %d (partial RoPE) is not supported", rd, c.Dim/c.NHeads))
			}
		}
	} else {
		c.NormEps = float32(num("attention.layer_norm_epsilon", 1e-5, false))
	}
	if len(errs) > 0 {
		return model.Config{}, fmt.Errorf("gguf metadata: %w", errs[0])
	}
	if err := c.Validate(); err != nil {
		return model.Config{}, fmt.Errorf("gguf metadata: %w", err)
	}
	return c, nil
}

// ggufConfigMetadata returns the llama.cpp metadata keys describing c (integers
// as uint32, floats as float32), for GGUF writers. The tokenizer keys other
// than the BOS/EOS ids are the tokenizer's business.
func ggufConfigMetadata(c model.Config) map[string]any {
	a := c.Arch
	m := map[string]any{
		"general.architecture":         a,
		a + ".context_length":          uint32(c.MaxSeqLen),
		a + ".embedding_length":        uint32(c.Dim),
		a + ".block_count":             uint32(c.NLayers),
		a + ".feed_forward_length":     uint32(c.HiddenDim),
		a + ".attention.head_count":    uint32(c.NHeads),
		a + ".attention.head_count_kv": uint32(c.NKVHeads),
	}
	if a == model.ArchLlama {
		m[a+".attention.layer_norm_rms_epsilon"] = c.NormEps
		m[a+".rope.freq_base"] = c.RopeTheta
		m[a+".rope.dimension_count"] = uint32(c.HeadDim())
		m[a+".vocab_size"] = uint32(c.VocabSize)
	} else {
		m[a+".attention.layer_norm_epsilon"] = c.NormEps
	}
	if c.BOS >= 0 {
		m["tokenizer.ggml.bos_token_id"] = uint32(c.BOS)
	}
	if c.EOS >= 0 {
		m["tokenizer.ggml.eos_token_id"] = uint32(c.EOS)
	}
	return m
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float32:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}
