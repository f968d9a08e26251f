package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// The end-of-text ids of a checkpoint are the tokens after which a
// generated text is complete, as each format defines them:
//
//   - llama2.c: BOS (1). Stories are trained as BOS-separated documents, so
//     a model ends one by starting the next; llama2.c's run.c stops there.
//   - GGUF: tokenizer.ggml.eos_token_id, eot_token_id and eom_token_id
//     (llama.cpp's end-of-generation tokens), those present.
//   - HF: eos_token_id, a number or a list, of generation_config.json when
//     it has one, else of config.json.

// llama2cEndIDs is BOS, when the vocabulary has one.
func llama2cEndIDs(bos int32) []int32 {
	if bos < 0 {
		return nil
	}
	return []int32{bos}
}

// ggufEndIDs reads the end-of-generation ids from GGUF metadata.
func ggufEndIDs(meta map[string]any) []int32 {
	var ids []int32
	for _, k := range []string{"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"} {
		if f, ok := toFloat(meta[k]); ok && f >= 0 && !slices.Contains(ids, int32(f)) {
			ids = append(ids, int32(f))
		}
	}
	return ids
}

// hfEndIDs reads eos_token_id from dir/generation_config.json, falling back
// to config.json (its bytes, cfgJSON) when that file is absent or has none.
func hfEndIDs(dir string, cfgJSON []byte) ([]int32, error) {
	var h struct {
		EOS json.RawMessage `json:"eos_token_id"`
	}
	p := filepath.Join(dir, "generation_config.json")
	if b, err := os.ReadFile(p); err == nil {
		if err := json.Unmarshal(b, &h); err != nil {
			return nil, fmt.Errorf("checkpoint: %s: %w", p, err)
		}
		if ids, err := tokenIDs(h.EOS); err != nil || len(ids) > 0 {
			if err != nil {
				return nil, fmt.Errorf("checkpoint: %s: eos_token_id: %w", p, err)
			}
			return ids, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if err := json.Unmarshal(cfgJSON, &h); err != nil {
		return nil, fmt.Errorf("checkpoint: config.json: %w", err)
	}
	ids, err := tokenIDs(h.EOS)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: config.json: eos_token_id: %w", err)
	}
	return ids, nil
}

// tokenIDs reads an HF token id field: null/absent (none), a number, or a
// list of numbers.
func tokenIDs(raw json.RawMessage) ([]int32, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var id int32
	if err := json.Unmarshal(raw, &id); err == nil {
		return []int32{id}, nil
	}
	var ids []int32
	if err := json.Unmarshal(raw, &ids); err != nil {
		return nil, fmt.Errorf("want an integer or a list of integers, got %s", raw)
	}
	return ids, nil
}
