package checkpoint

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"

	"github.com/distill-dev/distill/checkpoint/safetensors"
	"github.com/distill-dev/distill/internal/atomicfile"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/tokenizer"
)

// HFOptions adjusts WriteHF.
type HFOptions struct {
	// ShardBytes, when > 0, splits the weights into shards of at most this
	// many bytes (a tensor larger than that gets a shard of its own) with a
	// model.safetensors.index.json, as HF's max_shard_size does. 0 writes
	// one model.safetensors.
	ShardBytes int64
	// Metadata is added to the safetensors header (beside "format": "pt"),
	// e.g. to record where the weights came from.
	Metadata map[string]string
}

// WriteHF writes the model (config cfg, tensors src by canonical name,
// tokenizer tok, nil for none) as an HF transformers checkpoint in dir
// (created if needed): the weights with the family's HF tensor names (q/k
// rows in its HF RoPE order, Conv1D weights transposed and q/k/v fused
// where the family's table says so), config.json, generation_config.json and,
// when tok is not nil, tokenizer.json, tokenizer_config.json and
// special_tokens_map.json. Every tensor must be stored as F32, F16 or BF16
// (quant.Convert changes the storage type), or for matrices as I4S_G* (one
// group size), written in the GPTQ layout (hfgptq.go) with its
// quantization_config. Each file is written
// atomically; Load reads the directory back.
func WriteHF(dir string, cfg model.Config, src model.TensorSource, tok tokenizer.Tokenizer, o HFOptions) error {
	hts, err := hfTensors(cfg, src)
	if err != nil {
		return err
	}
	var sts []safetensors.Tensor
	groupSize := 0 // of the GPTQ matrices, one per checkpoint
	for _, t := range hts {
		if gs := gptqGroupSize(t.DType); gs > 0 {
			if groupSize != 0 && gs != groupSize {
				return fmt.Errorf("checkpoint: %s: tensor %s has int4 groups of %d, others %d; the GPTQ layout has one group_size", src.Where(), t.Name, gs, groupSize)
			}
			groupSize = gs
			g, err := toGPTQ(t)
			if err != nil {
				return fmt.Errorf("checkpoint: %s: %w", src.Where(), err)
			}
			sts = append(sts, g...)
			continue
		}
		name, ok := safetensors.DTypeName(t.DType)
		if !ok || !t.DType.IsFloat() {
			return fmt.Errorf("checkpoint: %s: tensor %s is %s; safetensors checkpoints hold f32, f16, bf16 or GPTQ int4 (I4S_G32/64/128, from gptq-int4 methods); convert it first", src.Where(), t.Name, t.DType)
		}
		sts = append(sts, safetensors.Tensor{Name: t.Name, DType: name, Shape: t.Shape, Data: t.Data})
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if th, err := tokenizerHashMeta(tok, o.Metadata); err != nil {
		return err
	} else if th != "" {
		o.Metadata = maps.Clone(o.Metadata)
		if o.Metadata == nil {
			o.Metadata = map[string]string{}
		}
		o.Metadata[MetaTokenizerHash] = th
	}
	if err := writeSafetensorsShards(dir, sts, o); err != nil {
		return err
	}
	embd, _ := src.Lookup(model.NameTokenEmbd)
	files, err := hfSideFiles(cfg, tok, embd.DType, groupSize)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := atomicfile.Write(filepath.Join(dir, f.name), f.write); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
	}
	return nil
}

// writeSafetensorsShards writes sts as model.safetensors, or as shards of
// at most o.ShardBytes with an index mapping each tensor to its shard.
func writeSafetensorsShards(dir string, sts []safetensors.Tensor, o HFOptions) error {
	meta := map[string]string{"format": "pt"}
	for k, v := range o.Metadata {
		if _, ok := meta[k]; ok {
			return fmt.Errorf("checkpoint: safetensors metadata key %s is set by the writer and cannot be replaced", k)
		}
		meta[k] = v
	}
	if o.ShardBytes <= 0 {
		if err := safetensors.Write(filepath.Join(dir, safetensors.SingleFileName), sts, meta); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		return nil
	}
	var shards [][]safetensors.Tensor
	var size, total int64
	for _, t := range sts {
		n := int64(len(t.Data))
		if len(shards) == 0 || (size+n > o.ShardBytes && size > 0) {
			shards = append(shards, nil)
			size = 0
		}
		shards[len(shards)-1] = append(shards[len(shards)-1], t)
		size += n
		total += n
	}
	weightMap := map[string]string{}
	for i, part := range shards {
		name := fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, len(shards))
		for _, t := range part {
			weightMap[t.Name] = name
		}
		if err := safetensors.Write(filepath.Join(dir, name), part, meta); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
	}
	idx := jsonFile(safetensors.IndexFileName, map[string]any{"metadata": map[string]any{"total_size": total}, "weight_map": weightMap})
	if err := atomicfile.Write(filepath.Join(dir, idx.name), idx.write); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

type sideFile struct {
	name  string
	write func(w io.Writer) error
}

func jsonFile(name string, v any) sideFile {
	return sideFile{name, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false) // "<s>", not "\u003cs\u003e"
		return enc.Encode(v)
	}}
}

// hfSideFiles returns config.json (torch_dtype from dt, a GPTQ
// quantization_config when gptqGroup > 0), generation_config.json and the
// tokenizer files of an HF checkpoint.
func hfSideFiles(cfg model.Config, tok tokenizer.Tokenizer, dt kernels.DType, gptqGroup int) ([]sideFile, error) {
	raw, err := HFConfigJSON(cfg)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: config.json: %w", err)
	}
	var conf map[string]any
	if err := json.Unmarshal(raw, &conf); err != nil {
		return nil, fmt.Errorf("checkpoint: config.json: %w", err)
	}
	if name, ok := map[kernels.DType]string{kernels.F32: "float32", kernels.F16: "float16", kernels.BF16: "bfloat16"}[dt]; ok {
		conf["torch_dtype"] = name
	}
	if gptqGroup > 0 {
		conf["quantization_config"] = gptqQuantizationConfig(gptqGroup)
	}
	gen := map[string]any{"_from_model_config": true}
	if cfg.BOS >= 0 {
		gen["bos_token_id"] = cfg.BOS
	}
	if cfg.EOS >= 0 {
		gen["eos_token_id"] = cfg.EOS
	}
	files := []sideFile{jsonFile("config.json", conf), jsonFile("generation_config.json", gen)}
	if tok == nil {
		return files, nil
	}
	v := tokenizer.VocabOf(tok)
	if v == nil {
		return nil, fmt.Errorf("checkpoint: the tokenizer (%T) cannot be exported", tok)
	}
	special := map[string]any{}
	for key, id := range map[string]int32{"bos_token": v.BOS, "eos_token": v.EOS, "unk_token": v.UNK, "pad_token": v.PAD} {
		if id >= 0 && int(id) < len(v.Tokens) {
			special[key] = v.Tokens[id]
		}
	}
	tc := map[string]any{
		"tokenizer_class":              "PreTrainedTokenizerFast",
		"add_bos_token":                v.AddBOS,
		"add_eos_token":                false,
		"clean_up_tokenization_spaces": false,
		"model_max_length":             cfg.MaxSeqLen,
	}
	for k, s := range special {
		tc[k] = s
	}
	files = append(files,
		sideFile{"tokenizer.json", func(w io.Writer) error { return tokenizer.WriteHFTokenizerJSON(w, v) }},
		jsonFile("tokenizer_config.json", tc),
		jsonFile("special_tokens_map.json", special))
	return files, nil
}
