package tokenizer

import (
	"slices"
	"testing"
)

func TestTinyEncode(t *testing.T) {
	toks := tinyTokenizers(t)
	id := func(name, piece string) int32 {
		t.Helper()
		for i, p := range VocabOf(toks[name]).Tokens {
			if p == piece {
				return int32(i)
			}
		}
		t.Fatalf("%s: no token %q", name, piece)
		return -1
	}
	tests := []struct {
		tok, text string
		want      []string
	}{
		{"llama2c", "the banana", []string{"▁the", "▁banana"}},
		{"llama2c", "hello", []string{"▁", "he", "ll", "o"}},
		{"llama2c", "aaaa", []string{"▁a", "aaa"}},
		{"llama2c", "x", []string{"▁", "<0x78>"}},
		{"llama/vocab", "the banana", []string{"▁the", "▁banana"}},
		{"llama/hf", "the banana", []string{"▁the", "▁banana"}},
		{"llama/hf", "a<s>b", []string{"▁a", "<s>", "▁b"}},
		{"gpt2/vocab", "the banana", []string{"t", "he", "Ġbanana"}},
		{"gpt2/hf", " the<|endoftext|>", []string{"Ġthe", "<|endoftext|>"}},
		{"gpt2/vocab", " the<|endoftext|>", []string{"Ġthe", "<", "|", "e", "n", "d", "o", "f", "t", "e", "x", "t", "|", ">"}},
	}
	for _, tc := range tests {
		name := tc.tok
		var want []int32
		for _, p := range tc.want {
			want = append(want, id(name, p))
		}
		if got := toks[name].Encode(tc.text, false, false); !slices.Equal(got, want) {
			t.Errorf("%s: Encode(%q) = %v, want %v (%q)", name, tc.text, got, want, tc.want)
		}
	}
}

func TestTinyDecode(t *testing.T) {
	for name, tok := range tinyTokenizers(t) {
		for _, s := range []string{"", "the banana", " leading", "héllo\n\nworld ", "\xffbad\xc3"} {
			ids := tok.Encode(s, true, true)
			if got := tok.Decode(ids); got != s {
				t.Errorf("%s: Decode(Encode(%q)) = %q (ids %v)", name, s, got, ids)
			}
			var stream []byte
			prev := int32(-1)
			for _, id := range ids {
				stream = append(stream, tok.DecodeToken(prev, id)...)
				prev = id
			}
			if string(stream) != s {
				t.Errorf("%s: streamed DecodeToken of %q = %q", name, s, stream)
			}
		}
	}
}

func TestDecodeOutOfRangePanics(t *testing.T) {
	tok := tinyTokenizers(t)["llama2c"]
	defer func() {
		if recover() == nil {
			t.Error("Decode with an id past the vocabulary did not panic")
		}
	}()
	tok.Decode([]int32{int32(tok.VocabSize())})
}
