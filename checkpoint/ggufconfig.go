package checkpoint

import (
	"fmt"
	"math"

	"github.com/distill-dev/distill/model"
)

// ConfigFromGGUF maps GGUF metadata (general.architecture and the
// <arch>.* keys of llama.cpp, tokenizer.ggml.bos/eos_token_id) onto a
// Config. The family is the one whose GGUF.Arch is general.architecture.
// vocabSize is the row count of token_embd.weight and tied says whether
// the file lacks output.weight (a family whose head is always tied is
// tied whatever the file holds). GGUF files hold the family's own q/k row
// order, so a RoPE family gets its RopeOrder.
// Numeric values may be any Go integer or float type.
func ConfigFromGGUF(meta map[string]any, vocabSize int, tied bool) (model.Config, error) {
	arch, _ := meta["general.architecture"].(string)
	fam := ggufFamily(arch, meta)
	if fam == nil {
		return model.Config{}, fmt.Errorf("gguf: unknown architecture %q (known: %v)", arch, model.FamilyNames())
	}
	tied = tied || fam.Tied == model.TiedAlways
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
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s.%s has type %T, want a number", arch, key, v))
		case math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1<<53:
			// Integer fields are converted with int(): keep them exact.
			errs = append(errs, fmt.Errorf("%s.%s = %g is not a usable number", arch, key, f))
			return def
		}
		return f
	}
	c := model.Config{
		Arch: fam.Name, Dim: int(num("embedding_length", 0, true)), HiddenDim: int(num("feed_forward_length", 0, true)),
		NLayers: int(num("block_count", 0, true)), NHeads: int(num("attention.head_count", 0, true)),
		VocabSize: vocabSize, MaxSeqLen: int(num("context_length", 0, true)), TiedEmbeddings: tied,
		BOS: int32(num("tokenizer.ggml.bos_token_id", -1, false)), EOS: int32(num("tokenizer.ggml.eos_token_id", -1, false)),
	}
	c.NKVHeads = int(num("attention.head_count_kv", float64(c.NHeads), false))
	c.NormEps = float32(num(ggufNormEpsKey(fam), 1e-5, false))
	c.SlidingWindow = int(num("attention.sliding_window", 0, false))
	if kl := int(num("attention.key_length", 0, false)); kl != 0 {
		if vl := int(num("attention.value_length", float64(kl), false)); vl != kl {
			errs = append(errs, fmt.Errorf("%s.attention.value_length %d != key_length %d is not supported", arch, vl, kl))
		}
		if c.NHeads <= 0 || c.Dim%c.NHeads != 0 || kl != c.Dim/c.NHeads {
			c.ExplicitHeadDim = kl
		}
	}
	if fam.Pos == model.RoPE {
		c.RopeTheta = float32(num("rope.freq_base", 10000, false))
		c.RopeStyle = fam.RopeOrder
		if c.NHeads > 0 && c.HeadDim() > 0 {
			if rd := int(num("rope.dimension_count", float64(c.HeadDim()), false)); rd != c.HeadDim() {
				errs = append(errs, fmt.Errorf("%s.rope.dimension_count %d != head dim %d (partial RoPE) is not supported", arch, rd, c.HeadDim()))
			}
		}
		rs, err := ggufRopeScaling(meta, arch, num)
		if err != nil {
			errs = append(errs, err)
		}
		c.RopeScaling = rs // Validate refuses what the family does not implement
	}
	if len(errs) > 0 {
		return model.Config{}, fmt.Errorf("gguf metadata: %w", errs[0])
	}
	if err := c.Validate(); err != nil {
		return model.Config{}, fmt.Errorf("gguf metadata: %w", err)
	}
	return c, nil
}

// ggufRopeScaling reads llama.cpp's RoPE scaling keys: rope.scaling.type
// (none, linear, yarn, ...), rope.scaling.factor (or the older
// rope.scale_linear) and rope.scaling.original_context_length. As in
// llama.cpp, a factor without a type means linear. A file that asks for no
// scaling (absent, type none, or linear with factor 1) gives the zero value.
func ggufRopeScaling(meta map[string]any, arch string, num func(string, float64, bool) float64) (model.RopeScaling, error) {
	kind := ""
	if v, ok := meta[arch+".rope.scaling.type"]; ok {
		s, ok := v.(string)
		if !ok {
			return model.RopeScaling{}, fmt.Errorf("%s.rope.scaling.type has type %T, want a string", arch, v)
		}
		kind = s
	}
	factor := num("rope.scaling.factor", 0, false)
	if factor == 0 {
		factor = num("rope.scale_linear", 0, false)
	}
	if kind == "" && factor != 0 {
		kind = "linear"
	}
	if f := num(metaLlama3+"factor", 0, false); f != 0 && kind == "" {
		// distill's record of Llama 3 scaling, whose frequencies
		// llama.cpp reads from the rope_freqs.weight tensor.
		return model.RopeScaling{Kind: model.RopeScalingLlama3, Factor: float32(f),
			LowFreqFactor:     float32(num(metaLlama3+"low_freq_factor", 0, false)),
			HighFreqFactor:    float32(num(metaLlama3+"high_freq_factor", 0, false)),
			OriginalMaxSeqLen: int(num(metaLlama3+"original_context_length", 0, false))}, nil
	}
	if kind == "" || kind == "none" || kind == "linear" && factor == 1 {
		return model.RopeScaling{}, nil
	}
	return model.RopeScaling{Kind: kind, Factor: float32(factor),
		OriginalMaxSeqLen: int(num("rope.scaling.original_context_length", 0, false))}, nil
}

// ggufConfigMetadata returns the llama.cpp metadata keys describing c (integers
// as uint32, floats as float32), for GGUF writers. The tokenizer keys other
// than the BOS/EOS ids are the tokenizer's business.
func ggufConfigMetadata(c model.Config) map[string]any {
	fam := c.Family()
	a := fam.GGUF.Arch
	m := map[string]any{
		"general.architecture":         a,
		a + ".context_length":          uint32(c.MaxSeqLen),
		a + ".embedding_length":        uint32(c.Dim),
		a + ".block_count":             uint32(c.NLayers),
		a + ".feed_forward_length":     uint32(c.HiddenDim),
		a + ".attention.head_count":    uint32(c.NHeads),
		a + ".attention.head_count_kv": uint32(c.NKVHeads),
	}
	m[a+"."+ggufNormEpsKey(fam)] = c.NormEps
	if fam.Pos == model.RoPE {
		m[a+".rope.freq_base"] = c.RopeTheta
		m[a+".rope.dimension_count"] = uint32(c.HeadDim())
		switch rs := c.RopeScaling; rs.Kind {
		case model.RopeScalingLinear:
			m[a+".rope.scaling.type"] = "linear"
			m[a+".rope.scaling.factor"] = rs.Factor
		case model.RopeScalingLlama3:
			// llama.cpp takes Llama 3's frequencies from the rope_freqs
			// tensor (ggufTensors) and has no keys for its parameters;
			// distill keeps them to read the config back.
			m[metaLlama3+"factor"] = rs.Factor
			m[metaLlama3+"low_freq_factor"] = rs.LowFreqFactor
			m[metaLlama3+"high_freq_factor"] = rs.HighFreqFactor
			m[metaLlama3+"original_context_length"] = uint32(rs.OriginalMaxSeqLen)
		}
	}
	if c.ExplicitHeadDim > 0 {
		m[a+".attention.key_length"] = uint32(c.ExplicitHeadDim)
		m[a+".attention.value_length"] = uint32(c.ExplicitHeadDim)
	}
	if c.SlidingWindow > 0 {
		m[a+".attention.sliding_window"] = uint32(c.SlidingWindow)
	}
	if fam.GGUF.VocabSizeKey {
		m[a+".vocab_size"] = uint32(c.VocabSize)
	}
	if c.BOS >= 0 {
		m["tokenizer.ggml.bos_token_id"] = uint32(c.BOS)
	}
	if c.EOS >= 0 {
		m["tokenizer.ggml.eos_token_id"] = uint32(c.EOS)
	}
	return m
}

// metaLlama3 prefixes distill's GGUF keys of Llama 3 RoPE scaling.
const metaLlama3 = "distill.rope_scaling.llama3."

// ggufRopeFreqs is llama.cpp's tensor of per-pair RoPE frequency divisors
// (model.Config.RopeFreqFactors), which its Llama 3 files carry.
const ggufRopeFreqs = "rope_freqs.weight"

// ggufFamily finds the family whose GGUF architecture is arch. Several
// families may share one (Mistral is stored as llama): the one named arch
// is taken, unless the file has a sliding window that only another one
// supports.
func ggufFamily(arch string, meta map[string]any) *model.Family {
	var first, named, windowed *model.Family
	for _, f := range model.Families() {
		if f.GGUF.Arch != arch {
			continue
		}
		if first == nil {
			first = f
		}
		if f.Name == arch {
			named = f
		}
		if windowed == nil && f.CheckFeature(model.FeatureSlidingWindow) == nil {
			windowed = f
		}
	}
	if _, window := meta[arch+".attention.sliding_window"]; window && windowed != nil {
		return windowed
	}
	if named != nil {
		return named
	}
	return first
}

// ggufNormEpsKey is llama.cpp's key of the norm epsilon, which names the
// norm kind.
func ggufNormEpsKey(fam *model.Family) string {
	if fam.Norm == model.RMSNorm {
		return "attention.layer_norm_rms_epsilon"
	}
	return "attention.layer_norm_epsilon"
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
