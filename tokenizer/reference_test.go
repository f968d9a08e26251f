package tokenizer

import (
	"slices"
	"testing"
)

func TestLlama2CReference(t *testing.T) {
	tok := loadTok512(t)
	var ref struct {
		Prompt    string  `json:"prompt"`
		PromptIDs []int32 `json:"prompt_ids"`
		Tokens    []int32 `json:"tokens"`
		Text      string  `json:"text"`
	}
	readJSON(t, sharedData(t, "stories260K", "ref_once_upon.json"), &ref)
	if got := tok.Encode(ref.Prompt, false, false); !slices.Equal(got, ref.PromptIDs) {
		t.Errorf("Encode(%q) = %v, want %v", ref.Prompt, got, ref.PromptIDs)
	}
	if got, want := tok.Encode("Once upon a time", true, true), []int32{1, 403, 407, 261, 378, 2}; !slices.Equal(got, want) {
		t.Errorf("Encode with BOS/EOS = %v, want %v", got, want)
	}
	if got := tok.Decode(ref.Tokens[1:]); got != ref.Text {
		t.Errorf("Decode(tokens[1:]) = %q, want %q", got, ref.Text)
	}
	if got := tok.Decode(ref.Tokens); got != ref.Text {
		t.Errorf("Decode(tokens with BOS) = %q, want %q", got, ref.Text)
	}
	var stream []byte
	prev := int32(-1)
	for _, id := range ref.Tokens {
		stream = append(stream, tok.DecodeToken(prev, id)...)
		prev = id
	}
	if string(stream) != ref.Text {
		t.Errorf("streamed DecodeToken = %q, want %q", stream, ref.Text)
	}
	if tok.VocabSize() != 512 || tok.BOS() != 1 || tok.EOS() != 2 {
		t.Errorf("VocabSize, BOS, EOS = %d, %d, %d; want 512, 1, 2", tok.VocabSize(), tok.BOS(), tok.EOS())
	}
}

func TestGPT2Reference(t *testing.T) {
	tok := loadGPT2(t)
	var ref []struct {
		Text string  `json:"text"`
		IDs  []int32 `json:"ids"`
	}
	readJSON(t, sharedData(t, "gpt2-bpe", "ref_encodings.json"), &ref)
	for _, r := range ref {
		got := tok.Encode(r.Text, false, false)
		if !slices.Equal(got, r.IDs) {
			t.Errorf("Encode(%q) = %v, want %v", r.Text, got, r.IDs)
		}
		if back := tok.Decode(got); back != r.Text {
			t.Errorf("Decode(Encode(%q)) = %q", r.Text, back)
		}
	}
	if tok.VocabSize() != 50257 || tok.BOS() != 50256 || tok.EOS() != 50256 {
		t.Errorf("VocabSize, BOS, EOS = %d, %d, %d; want 50257, 50256, 50256", tok.VocabSize(), tok.BOS(), tok.EOS())
	}
}
