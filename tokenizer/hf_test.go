package tokenizer

import (
	"encoding/json"
	"slices"
	"testing"
)

// modify applies f to the decoded tokenizer.json doc and re-encodes it.
func modify(t *testing.T, doc []byte, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	return mustJSON(m)
}

func pieces(t *testing.T, tok Tokenizer, ids []int32) []string {
	t.Helper()
	toks := VocabOf(tok).Tokens
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = toks[id]
	}
	return out
}

// TestHFVariants reads the forms real tokenizer.json files take and checks
// the encodings each must give.
func TestHFVariants(t *testing.T) {
	llama := tinyHFBytes(t, tinyLlamaVocab())
	gpt2 := tinyHFBytes(t, tinyGPT2Vocab())
	metaspace := func(scheme string, split bool) func(m map[string]any) {
		return func(m map[string]any) {
			m["normalizer"] = nil
			m["pre_tokenizer"] = map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": scheme, "split": split}
			m["decoder"] = map[string]any{"type": "Sequence", "decoders": []any{
				map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": scheme, "split": split},
				map[string]any{"type": "ByteFallback"}, map[string]any{"type": "Fuse"}}}
		}
	}
	pairMerges := func(m map[string]any) {
		model := m["model"].(map[string]any)
		var pairs [][]string
		for _, l := range model["merges"].([]any) {
			a, b, _ := cutSpace(l.(string))
			pairs = append(pairs, []string{a, b})
		}
		model["merges"] = pairs
	}
	tests := []struct {
		name string
		doc  []byte
		text string
		want []string
	}{
		{"llama legacy", llama, "o e", []string{"▁", "o▁", "e"}},
		{"llama added tokens", llama, "the</s>the", []string{"▁the", "</s>", "▁the"}},
		{"llama pair merges", modify(t, llama, pairMerges), "the banana", []string{"▁the", "▁banana"}},
		{"metaspace first", modify(t, llama, metaspace("first", false)), "o e", []string{"▁", "o▁", "e"}},
		{"metaspace first after added", modify(t, llama, metaspace("first", false)), "a<s>a", []string{"▁a", "<s>", "a"}},
		{"metaspace always", modify(t, llama, metaspace("always", false)), "a<s>a", []string{"▁a", "<s>", "▁a"}},
		{"metaspace split", modify(t, llama, metaspace("always", true)), "o e", []string{"▁", "o", "▁", "e"}},
		{"lowercase", modify(t, llama, func(m map[string]any) {
			n := m["normalizer"].(map[string]any)
			n["normalizers"] = append([]any{map[string]any{"type": "Lowercase"}}, n["normalizers"].([]any)...)
		}), "THE", []string{"▁the"}},
		{"no model type", modify(t, llama, func(m map[string]any) { delete(m["model"].(map[string]any), "type") }), "the", []string{"▁the"}},
		{"gpt2 endoftext", gpt2, "a<|endoftext|> the", []string{"a", "<|endoftext|>", "Ġthe"}},
		{"gpt2 prefix space", modify(t, gpt2, func(m map[string]any) {
			m["pre_tokenizer"].(map[string]any)["add_prefix_space"] = true
		}), "the", []string{"Ġthe"}},
		{"gpt2 split+bytelevel", modify(t, gpt2, func(m map[string]any) {
			m["pre_tokenizer"] = map[string]any{"type": "Sequence", "pretokenizers": []any{
				map[string]any{"type": "Split", "pattern": map[string]any{"Regex": gpt2Pattern}, "behavior": "Isolated", "invert": false},
				map[string]any{"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}}}
		}), "the banana", []string{"t", "he", "Ġbanana"}},
		{"ignore merges", modify(t, gpt2, func(m map[string]any) {
			model := m["model"].(map[string]any)
			model["ignore_merges"] = true
			model["vocab"].(map[string]any)["xyz"] = 300
		}), "xyz xyz", []string{"xyz", "Ġ", "x", "y", "z"}},
		{"merges kept", modify(t, gpt2, func(m map[string]any) {
			m["model"].(map[string]any)["vocab"].(map[string]any)["xyz"] = 300
		}), "xyz", []string{"x", "y", "z"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := ParseHF(tc.doc, tc.name)
			if err != nil {
				t.Fatal(err)
			}
			ids := tok.Encode(tc.text, false, false)
			if got := pieces(t, tok, ids); !slices.Equal(got, tc.want) {
				t.Errorf("Encode(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

// TestHFDecoders checks the decoder chains on pieces.
func TestHFDecoders(t *testing.T) {
	llama := tinyHFBytes(t, tinyLlamaVocab())
	tok, err := ParseHF(llama, "llama")
	if err != nil {
		t.Fatal(err)
	}
	ids := tok.Encode(" the héllo\n", true, true)
	if got := tok.Decode(ids); got != " the héllo\n" {
		t.Errorf("Decode = %q", got)
	}
	if VocabOf(tok).Model != ModelLlama || !VocabOf(tok).AddBOS || tok.BOS() != 1 || tok.EOS() != 2 {
		t.Errorf("llama tokenizer.json: model %q AddBOS %v BOS %d EOS %d", VocabOf(tok).Model, VocabOf(tok).AddBOS, tok.BOS(), tok.EOS())
	}
	g, err := ParseHF(tinyHFBytes(t, tinyGPT2Vocab()), "gpt2")
	if err != nil {
		t.Fatal(err)
	}
	if VocabOf(g).Model != ModelGPT2 || VocabOf(g).AddBOS {
		t.Errorf("gpt2 tokenizer.json: model %q AddBOS %v", VocabOf(g).Model, VocabOf(g).AddBOS)
	}
}

func cutSpace(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}
