package checkpoint

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/distill-dev/distill/checkpoint/gguf"
	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/tokenizer"
)

// openGGUF opens a GGUF file of a registered family. Tensors carry
// canonical names already; a fused blk.N.attn_qkv (llama.cpp's gpt2) is
// split by rows, and the output.weight of a family whose head is always
// tied (if stored) is ignored.
func openGGUF(path string) (*checkpoint, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	ck, err := ggufCheckpoint(path, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	ck.close = f.Close
	return ck, nil
}

func ggufCheckpoint(path string, f *gguf.File) (*checkpoint, error) {
	meta := map[string]any{}
	strs := map[string]string{}
	for _, kv := range f.KV() {
		meta[kv.Key] = kv.Value
		if s, ok := kv.Value.(string); ok {
			strs[kv.Key] = s
		}
	}
	embd, err := f.Tensor(model.NameTokenEmbd)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if len(embd.Shape) != 2 {
		return nil, fmt.Errorf("checkpoint: %s: tensor %s has shape %v, want [vocab, dim]", path, embd.Name, embd.Shape)
	}
	_, outErr := f.Tensor(model.NameOutput)
	cfg, err := ConfigFromGGUF(meta, embd.Shape[0], outErr != nil)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %s: %w", path, err)
	}
	ck := &checkpoint{format: FormatGGUF, file: path, cfg: cfg, src: &model.MapSource{Name: path}, end: ggufEndIDs(meta), meta: strs}
	for i := range f.Tensors() {
		t := &f.Tensors()[i]
		dt, dtErr := ck.record(t.Name, t.Shape, t.Type.String(), t)
		if t.Name == model.NameOutput && cfg.Family().Tied == model.TiedAlways {
			continue // a copy of the token embedding some writers store
		}
		if dtErr != nil {
			return nil, fmt.Errorf("checkpoint: %w", dtErr)
		}
		if t.Name == ggufRopeFreqs {
			if cfg, err = ropeFreqsConfig(cfg, t); err != nil {
				return nil, fmt.Errorf("checkpoint: %s: %w", path, err)
			}
			ck.cfg = cfg
			continue
		}
		ht := model.HostTensor{Name: t.Name, DType: dt, Shape: t.Shape, Data: t.Data}
		if l, part, kind, ok := model.ParseLayerName(t.Name); ok && part == model.AttnQKV {
			if err := splitQKV(ht, l, kind, cfg, func(st model.HostTensor, canon string) { st.Name = canon; ck.src.Add(st) }); err != nil {
				return nil, fmt.Errorf("checkpoint: %s: %w", path, err)
			}
			continue
		}
		ck.src.Add(ht)
	}
	if err := ck.unexpected(path); err != nil {
		return nil, err
	}
	v, err := vocabFromGGUF(f)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if v != nil {
		ck.tok = func() (tokenizer.Tokenizer, error) { return tokenizer.FromVocab(path, v) }
	}
	return ck, nil
}

// unexpected reports a tensor of the source that the config does not use
// (a file for a different model, or features distill lacks).
func (ck *checkpoint) unexpected(path string) error {
	want := map[string]bool{}
	for _, p := range ck.cfg.Params() {
		want[p.Name] = true
	}
	for _, name := range ck.src.Names() {
		if !want[name] {
			return fmt.Errorf("checkpoint: %s: unexpected tensor %s for config %s", path, name, ck.cfg)
		}
	}
	return nil
}

// ropeFreqsConfig checks a file's rope_freqs.weight (llama.cpp's per-pair
// RoPE frequency divisors) against the ones cfg's RopeScaling gives, and
// returns cfg: the model computes the divisors from the config, so a
// tensor that disagrees is refused rather than ignored. A file without
// distill's Llama 3 keys (llama.cpp's converter writes none) gets
// Llama 3.x's published parameters (low 1, high 4, original context 8192,
// the factor the tensor's lowest frequency has) when they reproduce the
// tensor.
func ropeFreqsConfig(cfg model.Config, t *gguf.Tensor) (model.Config, error) {
	n := cfg.HeadDim() / 2
	if t.Type != gguf.TypeF32 || len(t.Shape) != 1 || t.Shape[0] != n || len(t.Data) != 4*n {
		return cfg, fmt.Errorf("tensor %s is %s %v, want F32 [%d]", ggufRopeFreqs, t.Type, t.Shape, n)
	}
	got := make([]float32, n)
	for i := range got {
		got[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	inferred := cfg.RopeScaling.Kind == ""
	if inferred {
		cfg.RopeScaling = model.RopeScaling{Kind: model.RopeScalingLlama3, Factor: got[n-1], LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxSeqLen: 8192}
		if err := cfg.Validate(); err != nil {
			return cfg, fmt.Errorf("tensor %s (Llama 3 RoPE scaling): %w", ggufRopeFreqs, err)
		}
	}
	if cfg.RopeScaling.Kind != model.RopeScalingLlama3 {
		return cfg, fmt.Errorf("tensor %s (Llama 3 RoPE scaling) beside rope_scaling %q: supported is llama3 alone", ggufRopeFreqs, cfg.RopeScaling.Kind)
	}
	for i, w := range cfg.RopeFreqFactors() {
		if math.Abs(float64(got[i]-w)) > 1e-5*math.Abs(float64(w)) {
			why := "the rope scaling keys give"
			if inferred {
				why = "Llama 3's published scaling (low_freq_factor 1, high_freq_factor 4, original context 8192) gives"
			}
			return cfg, fmt.Errorf("tensor %s[%d] = %g, but %s %g: its RoPE scaling is not supported", ggufRopeFreqs, i, got[i], why, w)
		}
	}
	return cfg, nil
}
