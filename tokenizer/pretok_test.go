package tokenizer

import (
	"slices"
	"strings"
	"testing"
)

// TestPreRoundTrip: a byte-level vocabulary with the Llama 3 or Qwen2
// pre-tokenizer encodes the same when built from the Vocab (as from GGUF)
// and from the tokenizer.json WriteHFTokenizerJSON makes of it, which
// keeps its Pre, AddBOS and added tokens.
func TestPreRoundTrip(t *testing.T) {
	texts := []string{"the banana 12345", "1234567", "a  b\n\n\nc", "don'T 3.14", "e\u0301 é", "x<|endoftext|>y", ""}
	for _, pre := range []string{PreGPT2, PreLlama3, PreQwen2} {
		v := tinyGPT2Vocab()
		v.Pre, v.AddBOS = pre, pre == PreLlama3
		fromVocab, err := FromVocab("tiny", v)
		if err != nil {
			t.Fatal(err)
		}
		fromJSON, err := ParseHF(tinyHFBytes(t, v), "tiny.json")
		if err != nil {
			t.Fatal(err)
		}
		if got := VocabOf(fromJSON); got.Pre != pre && !(pre == PreGPT2 && got.Pre == "") || got.AddBOS != v.AddBOS {
			t.Errorf("%s: tokenizer.json reads back Pre %q, AddBOS %v", pre, got.Pre, got.AddBOS)
		}
		for _, s := range texts {
			special := strings.Contains(s, gpt2EndOfText)
			if special && pre == PreGPT2 {
				continue // GPT-2's encoder.py never matches <|endoftext|>; its tokenizer.json does
			}
			a, b := fromVocab.Encode(s, false, false), fromJSON.Encode(s, false, false)
			if !slices.Equal(a, b) {
				t.Errorf("%s: %q: from Vocab %v, from tokenizer.json %v", pre, s, a, b)
			}
			if d := fromVocab.Decode(a); d != s && pre != PreQwen2 && !special {
				t.Errorf("%s: Decode(Encode(%q)) = %q", pre, s, d)
			}
		}
	}
	v := tinyGPT2Vocab()
	v.Pre = "smollm"
	if _, err := FromVocab("tiny.gguf", v); err == nil {
		t.Error("unknown pre-tokenizer accepted")
	}
}
