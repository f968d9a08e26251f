package checkpoint

import (
	"fmt"

	"github.com/distill-dev/distill/checkpoint/gguf"
	"github.com/distill-dev/distill/tokenizer"
)

// vocabFromGGUF builds the tokenizer vocabulary embedded in a GGUF file
// (tokenizer.ggml.model, .tokens, .scores, .token_type, .merges and the
// special ids). It returns nil, nil when the file has no tokens.
func vocabFromGGUF(f *gguf.File) (*tokenizer.Vocab, error) {
	if _, ok := f.Get("tokenizer.ggml.tokens"); !ok {
		return nil, nil
	}
	toks, err := f.Strings("tokenizer.ggml.tokens")
	if err != nil {
		return nil, err
	}
	n := len(toks)
	v := &tokenizer.Vocab{Tokens: toks}
	v.Model, _ = f.String("tokenizer.ggml.model")
	if v.Model == tokenizer.ModelLlama {
		if b, err := f.Bool("tokenizer.ggml.add_space_prefix"); err == nil {
			v.NoSpacePrefix = !b
		}
	}
	if v.Model == tokenizer.ModelGPT2 {
		// llama.cpp's name of the pre-tokenizer ("gpt-2", "llama-bpe",
		// "qwen2", ...); FromVocab refuses the ones it does not implement.
		v.Pre, _ = f.String("tokenizer.ggml.pre")
	}
	if _, ok := f.Get("tokenizer.ggml.scores"); ok {
		if v.Scores, err = f.Float32s("tokenizer.ggml.scores"); err != nil {
			return nil, err
		}
	}
	v.Types = make([]tokenizer.TokenType, n)
	if _, ok := f.Get("tokenizer.ggml.token_type"); ok {
		types, err := f.Int32s("tokenizer.ggml.token_type")
		if err != nil {
			return nil, err
		}
		if len(types) != n {
			return nil, fmt.Errorf("gguf: %s: %d token types for %d tokens", f.Path(), len(types), n)
		}
		for i, x := range types {
			v.Types[i] = tokenizer.TokenType(x)
		}
	} else {
		for i := range v.Types {
			v.Types[i] = tokenizer.TokenNormal
		}
	}
	if _, ok := f.Get("tokenizer.ggml.merges"); ok {
		if v.Merges, err = f.Strings("tokenizer.ggml.merges"); err != nil {
			return nil, err
		}
	}
	id := func(key string) int32 {
		x, err := f.Uint("tokenizer.ggml." + key)
		if err != nil || x >= uint64(n) {
			return -1 // absent, negative, or 0xFFFFFFFF for none
		}
		return int32(x)
	}
	v.BOS, v.EOS, v.UNK, v.PAD = id("bos_token_id"), id("eos_token_id"), id("unknown_token_id"), id("padding_token_id")
	if b, err := f.Bool("tokenizer.ggml.add_bos_token"); err == nil {
		v.AddBOS = b
	} else {
		v.AddBOS = v.Model == tokenizer.ModelLlama && v.BOS >= 0 // llama.cpp's default for SentencePiece vocabularies
	}
	return v, nil
}

// ggufVocabMetadata returns the tokenizer.ggml.* keys of vocabulary v,
// which vocabFromGGUF reads back.
func ggufVocabMetadata(v *tokenizer.Vocab) map[string]any {
	meta := map[string]any{
		"tokenizer.ggml.model":         v.Model,
		"tokenizer.ggml.tokens":        v.Tokens,
		"tokenizer.ggml.add_bos_token": v.AddBOS,
	}
	if v.Scores != nil {
		meta["tokenizer.ggml.scores"] = v.Scores
	}
	types := make([]int32, len(v.Types))
	for i, t := range v.Types {
		types[i] = int32(t)
	}
	meta["tokenizer.ggml.token_type"] = types
	if len(v.Merges) > 0 {
		meta["tokenizer.ggml.merges"] = v.Merges
	}
	for key, id := range map[string]int32{"bos_token_id": v.BOS, "eos_token_id": v.EOS, "unknown_token_id": v.UNK, "padding_token_id": v.PAD} {
		if id >= 0 {
			meta["tokenizer.ggml."+key] = uint32(id)
		}
	}
	if v.Model == tokenizer.ModelLlama {
		meta["tokenizer.ggml.add_space_prefix"] = !v.NoSpacePrefix
	}
	pre := "default"
	if v.Model == tokenizer.ModelGPT2 {
		pre = tokenizer.PreGPT2
		if v.Pre != "" {
			pre = v.Pre
		}
	}
	meta["tokenizer.ggml.pre"] = pre
	return meta
}
