package checkpoint

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"sort"
	"strings"

	"github.com/distill-dev/distill/checkpoint/gguf"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/tokenizer"
)

// llama.cpp's llama_ftype values for general.file_type ("mostly" types
// keep 1-D tensors in F32).
var fileTypes = map[string]uint32{
	"f32": 0, "f16": 1, "q4_0": 2, "q4_1": 3, "q8_0": 7, "q5_0": 8, "q5_1": 9, "q2_k": 10, "q3_k": 11, "q3_k_m": 12,
	"q4_k": 14, "q4_k_s": 14, "q4_k_m": 15, "q5_k": 16, "q5_k_s": 16, "q5_k_m": 17, "q6_k": 18, "bf16": 32,
}

// GGUFOptions adjusts WriteGGUF.
type GGUFOptions struct {
	Name string // general.name; default "distill"
	// FileType is the method name whose llama_ftype goes in
	// general.file_type (a GGML or float method name of package quant);
	// empty means the type of most matrices.
	FileType string
	// Metadata holds extra keys to store (e.g. distill's own provenance
	// keys); they may not replace a key the writer sets.
	Metadata map[string]any
}

// ggufTensors returns the tensors of src as a GGUF file of cfg's family
// stores them: canonical names (llama.cpp's), no output.weight when the
// classifier is tied, q/k rows in the interleaved-RoPE order (un-permuted
// into the family's RopeOrder), and q, k and v fused by rows into
// blk.N.attn_qkv when the family's GGUF.FusedQKV says llama.cpp's graph
// expects it (gpt2). Every type must be a
// GGML one.
func ggufTensors(cfg model.Config, src model.TensorSource) ([]gguf.Tensor, error) {
	fam := cfg.Family()
	var out []gguf.Tensor
	add := func(t model.HostTensor, name string) error {
		gt, ok := gguf.TypeOf(t.DType)
		if !ok || t.DType == kernels.I32 {
			return fmt.Errorf("checkpoint: tensor %s: GGUF cannot store distill's %s (use a GGML type: F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q2_K Q3_K Q4_K Q5_K Q6_K)", t.Name, t.DType)
		}
		out = append(out, gguf.Tensor{Name: name, Type: gt, Shape: t.Shape, Data: t.Data})
		return nil
	}
	for _, p := range cfg.Params() {
		t, ok := src.Lookup(p.Name)
		if !ok {
			return nil, fmt.Errorf("checkpoint: %s: missing tensor %s", src.Where(), p.Name)
		}
		l, part, kind, isLayer := model.ParseLayerName(p.Name)
		if fam.GGUF.FusedQKV && isLayer && (part == model.AttnK || part == model.AttnV) {
			continue // fused with attn_q below
		}
		if fam.GGUF.FusedQKV && isLayer && part == model.AttnQ {
			fused, err := fuseQKV(src, l, kind)
			if err != nil {
				return nil, err
			}
			if err := add(fused, model.LayerName(l, model.AttnQKV, kind)); err != nil {
				return nil, err
			}
			continue
		}
		if isLayer && fam.Pos == model.RoPE {
			// GGUF files hold the family's own q/k row order.
			t = reorderQK(cfg, t, part, cfg.RopeStyle, fam.RopeOrder)
		}
		if err := add(t, p.Name); err != nil {
			return nil, err
		}
	}
	if cfg.RopeScaling.Kind == model.RopeScalingLlama3 {
		// llama.cpp's Llama 3 files carry the frequency divisors as a
		// tensor (convert_hf_to_gguf.py's rope_freqs).
		f := cfg.RopeFreqFactors()
		data := make([]byte, 0, 4*len(f))
		for _, v := range f {
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v))
		}
		out = append(out, gguf.Tensor{Name: ggufRopeFreqs, Type: gguf.TypeF32, Shape: []int{len(f)}, Data: data})
	}
	return out, nil
}

// unpermuteRows undoes a row permutation: row perm[r] of the result is row
// r of t. Rows are whole blocks, so any storage type works.
func unpermuteRows(t model.HostTensor, perm []int) model.HostTensor {
	rb := len(t.Data) / t.Shape[0]
	out := make([]byte, len(t.Data))
	for r, from := range perm {
		copy(out[from*rb:(from+1)*rb], t.Data[r*rb:(r+1)*rb])
	}
	t.Data = out
	return t
}

// fuseQKV stacks the q, k and v tensors of layer l by rows.
func fuseQKV(src model.TensorSource, l int, kind string) (model.HostTensor, error) {
	var out model.HostTensor
	for i, part := range []string{model.AttnQ, model.AttnK, model.AttnV} {
		name := model.LayerName(l, part, kind)
		t, ok := src.Lookup(name)
		if !ok {
			return out, fmt.Errorf("checkpoint: %s: missing tensor %s", src.Where(), name)
		}
		if i == 0 {
			out = model.HostTensor{Name: model.LayerName(l, "attn_qkv", kind), DType: t.DType, Shape: append([]int(nil), t.Shape...)}
			out.Shape[0] = 0
		}
		if t.DType != out.DType || len(t.Shape) != len(out.Shape) || (len(t.Shape) == 2 && t.Shape[1] != out.Shape[1]) {
			return out, fmt.Errorf("checkpoint: %s: %s (%s %v) cannot be fused with attn_q (%s): q, k and v need one type", src.Where(), name, t.DType, t.Shape, out.DType)
		}
		out.Shape[0] += t.Shape[0]
		out.Data = append(out.Data, t.Data...)
	}
	return out, nil
}

// GGUFMetadata returns the metadata of a GGUF v3 file for cfg and vocab v
// (nil for none): general.architecture, name, file_type and
// quantization_version, the <arch>.* hyperparameters, the tokenizer.ggml.*
// keys (tokens, scores, token types, merges, special ids, pre-tokenizer)
// and o.Metadata, general.* first, then sorted by key. Load reads back the
// config and tokenizer.
func GGUFMetadata(cfg model.Config, v *tokenizer.Vocab, name string, fileType uint32, extra map[string]any) ([]gguf.KV, error) {
	meta := ggufConfigMetadata(cfg)
	if v != nil {
		// The vocabulary's special ids replace the config's.
		for _, k := range []string{"bos_token_id", "eos_token_id", "unknown_token_id", "padding_token_id"} {
			delete(meta, "tokenizer.ggml."+k)
		}
		for k, val := range ggufVocabMetadata(v) {
			meta[k] = val
		}
	}
	meta["general.name"] = name
	meta["general.file_type"] = fileType
	meta["general.quantization_version"] = uint32(2) // GGML_QNT_VERSION
	for k, val := range extra {
		if _, ok := meta[k]; ok {
			return nil, fmt.Errorf("checkpoint: GGUF metadata key %s is set by the writer and cannot be replaced", k)
		}
		meta[k] = val
	}
	kv := make([]gguf.KV, 0, len(meta))
	for k, val := range meta {
		kv = append(kv, gguf.KV{Key: k, Value: val})
	}
	sort.SliceStable(kv, func(i, j int) bool {
		gi, gj := strings.HasPrefix(kv[i].Key, "general."), strings.HasPrefix(kv[j].Key, "general.")
		if gi != gj {
			return gi
		}
		if kv[i].Key == "general.architecture" || kv[j].Key == "general.architecture" {
			return kv[i].Key == "general.architecture"
		}
		return kv[i].Key < kv[j].Key
	})
	return kv, nil
}

// WriteGGUF writes the model (config cfg, tensors src by canonical name,
// tokenizer tok, nil for none) as a GGUF v3 file that llama.cpp loads,
// atomically, then reads it back and checks every tensor's type, shape and
// bytes and every metadata key. Every tensor must have a GGML type.
func WriteGGUF(path string, cfg model.Config, src model.TensorSource, tok tokenizer.Tokenizer, o GGUFOptions) error {
	if cfg.RopeScaling.Kind == model.RopeScalingDynamic {
		// A file without the scaling would run differently past the
		// original context, and llama.cpp has no dynamic NTK mode.
		return fmt.Errorf("checkpoint: GGUF export of %s: rope_scaling type %q (dynamic NTK) has no llama.cpp equivalent; export to HF safetensors instead",
			path, cfg.RopeScaling.Kind)
	}
	var v *tokenizer.Vocab
	if tok != nil {
		if v = tokenizer.VocabOf(tok); v == nil {
			return fmt.Errorf("checkpoint: the tokenizer (%T) cannot be exported", tok)
		}
	}
	tensors, err := ggufTensors(cfg, src)
	if err != nil {
		return err
	}
	if o.Name == "" {
		o.Name = "distill"
	}
	ft, err := fileTypeOf(o.FileType, tensors)
	if err != nil {
		return err
	}
	extra := o.Metadata
	if th, err := tokenizerHashMeta(tok, o.Metadata); err != nil {
		return err
	} else if th != "" {
		extra = maps.Clone(o.Metadata)
		if extra == nil {
			extra = map[string]any{}
		}
		extra[MetaTokenizerHash] = th
	}
	kv, err := GGUFMetadata(cfg, v, o.Name, ft, extra)
	if err != nil {
		return err
	}
	if err := gguf.Write(path, kv, tensors); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return verifyGGUF(path, kv, tensors)
}

func fileTypeOf(name string, tensors []gguf.Tensor) (uint32, error) {
	if name != "" {
		ft, ok := fileTypes[strings.ToLower(name)]
		if !ok {
			return 0, fmt.Errorf("checkpoint: no GGUF file type for %q", name)
		}
		return ft, nil
	}
	count := map[string]int{}
	best := "f32"
	for _, t := range tensors {
		if len(t.Shape) < 2 {
			continue
		}
		n := strings.ToLower(t.Type.String())
		count[n]++
		if count[n] > count[best] || (count[n] == count[best] && n < best) {
			best = n
		}
	}
	if ft, ok := fileTypes[best]; ok {
		return ft, nil
	}
	return 0, nil
}

// verifyGGUF reads path back and compares it with what was written.
func verifyGGUF(path string, kv []gguf.KV, tensors []gguf.Tensor) error {
	f, err := gguf.Open(path)
	if err != nil {
		return fmt.Errorf("checkpoint: reading back %s: %w", path, err)
	}
	defer f.Close()
	if f.Version() != 3 {
		return fmt.Errorf("checkpoint: %s: version %d, want 3", path, f.Version())
	}
	for _, p := range kv {
		got, ok := f.Get(p.Key)
		if !ok {
			return fmt.Errorf("checkpoint: %s: metadata key %s missing on read-back", path, p.Key)
		}
		if fmt.Sprint(got) != fmt.Sprint(p.Value) {
			return fmt.Errorf("checkpoint: %s: metadata key %s reads back as %v, wrote %v", path, p.Key, got, p.Value)
		}
	}
	if len(f.Tensors()) != len(tensors) {
		return fmt.Errorf("checkpoint: %s: %d tensors read back, wrote %d", path, len(f.Tensors()), len(tensors))
	}
	for _, w := range tensors {
		r, err := f.Tensor(w.Name)
		if err != nil {
			return fmt.Errorf("checkpoint: reading back %s: %w", path, err)
		}
		if r.Type != w.Type || fmt.Sprint(r.Shape) != fmt.Sprint(w.Shape) || !bytes.Equal(r.Data, w.Data) {
			return fmt.Errorf("checkpoint: %s: tensor %s reads back as %s %v (%d bytes), wrote %s %v (%d bytes)", path, w.Name, r.Type, r.Shape, len(r.Data), w.Type, w.Shape, len(w.Data))
		}
		if r.Offset%int64(f.Alignment()) != 0 {
			return fmt.Errorf("checkpoint: %s: tensor %s at offset %d, not aligned to %d", path, w.Name, r.Offset, f.Alignment())
		}
	}
	return nil
}
