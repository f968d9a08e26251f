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
			if err := checkRopeFreqs(cfg, t); err != nil {
				return nil, fmt.Errorf("checkpoint: %s: %w", path, err)
			}
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

// checkRopeFreqs checks a file's rope_freqs.weight (llama.cpp's per-pair
// RoPE frequency divisors) against the ones cfg's RopeScaling gives: the
// model computes them from the config, so a tensor that disagrees (or one
// in a file without distill's Llama 3 keys) is refused rather than
// ignored.
func checkRopeFreqs(cfg model.Config, t *gguf.Tensor) error {
	want := cfg.RopeFreqFactors()
	if cfg.RopeScaling.Kind != model.RopeScalingLlama3 {
		return fmt.Errorf("tensor %s (Llama 3 RoPE scaling) in a file without %sfactor and the other %s* keys: "+
			"export the model from its HF checkpoint with distill to record the scaling parameters", ggufRopeFreqs, metaLlama3, metaLlama3)
	}
	if t.Type != gguf.TypeF32 || len(t.Shape) != 1 || t.Shape[0] != len(want) || len(t.Data) != 4*len(want) {
		return fmt.Errorf("tensor %s is %s %v, want F32 [%d]", ggufRopeFreqs, t.Type, t.Shape, len(want))
	}
	for i, w := range want {
		got := math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
		if math.Abs(float64(got-w)) > 1e-5*math.Abs(float64(w)) {
			return fmt.Errorf("tensor %s[%d] = %g, but the rope scaling keys give %g", ggufRopeFreqs, i, got, w)
		}
	}
	return nil
}
