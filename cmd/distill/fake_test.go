package main

import (
	"errors"
	"path/filepath"
	"strings"
)

// byteTok is a fake tokenizer: id = byte + 3, BOS 1, EOS 2 (the llama2.c
// byte-fallback layout without merges).
type byteTok struct{}

func (byteTok) Encode(text string, addBOS, addEOS bool) []int32 {
	var ids []int32
	if addBOS {
		ids = append(ids, 1)
	}
	for i := 0; i < len(text); i++ {
		ids = append(ids, int32(text[i])+3)
	}
	if addEOS {
		ids = append(ids, 2)
	}
	return ids
}

func (byteTok) Decode(ids []int32) string {
	var b strings.Builder
	for _, id := range ids {
		if id >= 3 {
			b.WriteByte(byte(id - 3))
		}
	}
	return b.String()
}

func (byteTok) BOS() int32 { return 1 }

// flatLM gives every one of its 259 tokens the same probability, or, with
// peak > 0, adds peak to the logit of token (id+1).
type flatLM struct{ peak float32 }

func (flatLM) VocabSize() int { return 259 }
func (flatLM) MaxSeqLen() int { return 64 }
func (m flatLM) Logits(dst []float32, ids []int32, B, T int) []float32 {
	dst = append(dst[:0], make([]float32, B*T*259)...)
	for r, id := range ids {
		dst[r*259+(int(id)+1)%259] += m.peak
	}
	return dst
}

// fakeHooks serves fake models: "flat" (uniform) and "peaked", and inspect
// info for "flat"; any other path does not exist.
func fakeHooks() modelHooks {
	return modelHooks{
		load: func(path, _ string, e *env) (*loadedModel, error) {
			var lm flatLM
			switch filepath.Base(path) {
			case "flat":
			case "peaked":
				lm.peak = 3
			default:
				return nil, errors.New("open " + path + ": no such file")
			}
			return &loadedModel{LM: lm, Tok: byteTok{}, Path: path, Format: "fake", Params: 1234,
				Generate: func(prompt string, o genOptions, onPiece func(string)) ([]int32, []int32, string, error) {
					var out []int32
					for i := range o.MaxTokens {
						id := int32('a'+i%26) + 3
						out = append(out, id)
						onPiece(byteTok{}.Decode([]int32{id}))
					}
					return byteTok{}.Encode(prompt, true, false), out, "max_tokens", nil
				}}, nil
		},
		inspect: func(path string) (*inspectInfo, error) {
			if filepath.Base(path) != "flat" {
				return nil, errors.New("open " + path + ": no such file")
			}
			return &inspectInfo{Path: path, Format: "fake", Params: 259*8 + 8, Bytes: 4 * (259*8 + 8),
				Config: struct {
					Dim   int    `json:"dim"`
					Arch  string `json:"arch"`
					Vocab int    `json:"vocab_size"`
				}{8, "llama", 259},
				Tensors: []tensorInfo{
					{Name: "tok_embeddings.weight", DType: "F32", Shape: []int{259, 8}, Params: 259 * 8, Bytes: 4 * 259 * 8},
					{Name: "norm.weight", DType: "F32", Shape: []int{8}, Params: 8, Bytes: 32},
				}}, nil
		},
	}
}
