package model

import (
	"fmt"

	"github.com/distill-dev/distill/kernels"
)

// Llama2CHeader is the legacy llama2.c checkpoint header (7 int32 values).
// A negative VocabSize means the classifier is stored after the other
// weights (untied); positive means it is shared with the token embedding.
type Llama2CHeader struct {
	Dim, HiddenDim, NLayers, NHeads, NKVHeads, VocabSize, SeqLen int32
}

// ConfigFromLlama2C maps a llama2.c header onto a Config: Llama with
// RMSNorm eps 1e-5, interleaved RoPE with theta 10000, BOS 1 and EOS 2, as
// llama2.c's run.c hard-codes them.
func ConfigFromLlama2C(h Llama2CHeader) (Config, error) {
	vocab := int(h.VocabSize)
	tied := vocab > 0
	if vocab < 0 {
		vocab = -vocab
	}
	c := Config{
		Arch: ArchLlama, Dim: int(h.Dim), HiddenDim: int(h.HiddenDim), NLayers: int(h.NLayers),
		NHeads: int(h.NHeads), NKVHeads: int(h.NKVHeads), VocabSize: vocab, MaxSeqLen: int(h.SeqLen),
		NormEps: 1e-5, RopeTheta: 10000, RopeStyle: kernels.RoPEInterleaved, TiedEmbeddings: tied,
		BOS: 1, EOS: 2,
	}
	if c.VocabSize <= 2 {
		c.BOS, c.EOS = -1, -1
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("llama2.c header: %w", err)
	}
	return c, nil
}

// Llama2CHeader returns the llama2.c header of c, which must be a Llama
// config with interleaved RoPE (the only kind llama2.c runs).
func (c Config) Llama2CHeader() (Llama2CHeader, error) {
	if c.Arch != ArchLlama || c.RopeStyle != kernels.RoPEInterleaved {
		return Llama2CHeader{}, fmt.Errorf("model: llama2.c holds only llama models with interleaved RoPE, not %s", c)
	}
	h := Llama2CHeader{int32(c.Dim), int32(c.HiddenDim), int32(c.NLayers), int32(c.NHeads),
		int32(c.NKVHeads), int32(c.VocabSize), int32(c.MaxSeqLen)}
	if !c.TiedEmbeddings {
		h.VocabSize = -h.VocabSize
	}
	return h, nil
}

// ConfigFromGGUF maps GGUF metadata (general.architecture and the
// <arch>.* keys of llama.cpp, tokenizer.ggml.bos/eos_token_id) onto a
// Config. vocabSize is the row count of token_embd.weight and tied says
// whether the file lacks output.weight. GGUF llama files hold the original
// (un-permuted) q/k rows, so the config gets kernels.RoPEInterleaved.
// Numeric values may be any Go integer or float type.
func ConfigFromGGUF(meta map[string]any, vocabSize int, tied bool) (Config, error) {
	arch, _ := meta["general.architecture"].(string)
	if arch != ArchLlama && arch != ArchGPT2 {
		return Config{}, fmt.Errorf("gguf: unknown architecture %q (want %q or %q)", arch, ArchLlama, ArchGPT2)
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
	c := Config{
		Arch: arch, Dim: int(num("embedding_length", 0, true)), HiddenDim: int(num("feed_forward_length", 0, true)),
		NLayers: int(num("block_count", 0, true)), NHeads: int(num("attention.head_count", 0, true)),
		VocabSize: vocabSize, MaxSeqLen: int(num("context_length", 0, true)), TiedEmbeddings: tied,
		BOS: int32(num("tokenizer.ggml.bos_token_id", -1, false)), EOS: int32(num("tokenizer.ggml.eos_token_id", -1, false)),
	}
	c.NKVHeads = int(num("attention.head_count_kv", float64(c.NHeads), false))
	if arch == ArchLlama {
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
		return Config{}, fmt.Errorf("gguf metadata: %w", errs[0])
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("gguf metadata: %w", err)
	}
	return c, nil
}

// GGUFMetadata returns the llama.cpp metadata keys describing c (integers
// as uint32, floats as float32), for GGUF writers. The tokenizer keys other
// than the BOS/EOS ids are the tokenizer's business.
func (c Config) GGUFMetadata() map[string]any {
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
	if a == ArchLlama {
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
