package tokenizer

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
)

// Tiny vocabularies built here, for tests, fuzzing and the seed corpora.

// tinyLlamaVocab is a SentencePiece-style vocabulary: <unk>, <s>, </s>, the
// 256 byte tokens, single characters and a few merges by score.
func tinyLlamaVocab() *Vocab {
	v := &Vocab{Model: ModelLlama, BOS: 1, EOS: 2, UNK: 0, PAD: -1, AddBOS: true}
	add := func(tok string, score float32, typ TokenType) {
		v.Tokens = append(v.Tokens, tok)
		v.Scores = append(v.Scores, score)
		v.Types = append(v.Types, typ)
	}
	add("<unk>", 0, TokenUnknown)
	add("<s>", 0, TokenControl)
	add("</s>", 0, TokenControl)
	for b := range 256 {
		add(fmt.Sprintf("<0x%02X>", b), 0, TokenByte)
	}
	merges := []string{"▁t", "he", "▁a", "▁the", "ll", "▁b", "an", "ana", "▁ban", "▁banana", "o▁", "lo", "hel", "hello", "aa", "aaa"}
	for i, m := range merges {
		add(m, -float32(i), TokenNormal)
	}
	for i, c := range []string{"▁", "e", "t", "a", "h", "o", "l", "n", "b", "é", "\n"} {
		add(c, -100-float32(i), TokenNormal)
	}
	return v
}

// tinyGPT2Vocab is a byte-level vocabulary: the 256 byte runes, a few
// merges and <|endoftext|>.
func tinyGPT2Vocab() *Vocab {
	v := &Vocab{Model: ModelGPT2, BOS: -1, EOS: -1, UNK: -1, PAD: -1}
	for b := range 256 {
		v.Tokens = append(v.Tokens, string(byteToRune[b]))
		v.Types = append(v.Types, TokenNormal)
	}
	v.Merges = []string{"Ġ t", "h e", "Ġt he", "l l", "Ġ a", "a n", "an a", "Ġ b", "Ġb an", "Ġban ana", "Ċ Ċ"}
	for _, m := range v.Merges {
		a, b, _ := bytes.Cut([]byte(m), []byte(" "))
		v.Tokens = append(v.Tokens, string(a)+string(b))
		v.Types = append(v.Types, TokenNormal)
	}
	v.Tokens = append(v.Tokens, gpt2EndOfText)
	v.Types = append(v.Types, TokenControl)
	v.BOS, v.EOS = int32(len(v.Tokens)-1), int32(len(v.Tokens)-1)
	return v
}

func tinyLlama2CBytes(t testing.TB) []byte {
	var buf bytes.Buffer
	if err := WriteLlama2C(&buf, tinyLlamaVocab()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func tinyHFBytes(t testing.TB, v *Vocab) []byte {
	var buf bytes.Buffer
	if err := WriteHFTokenizerJSON(&buf, v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tinyTokenizers returns the tiny vocabularies through every loader.
func tinyTokenizers(t testing.TB) map[string]Tokenizer {
	out := map[string]Tokenizer{}
	l2c, err := ReadLlama2C(bytes.NewReader(tinyLlama2CBytes(t)), "tiny.bin", 0)
	if err != nil {
		t.Fatal(err)
	}
	out["llama2c"] = l2c
	// Without the "o▁" piece no merge joins "▁" to its left: the text is
	// cut before each space (splitAt), which must change nothing.
	sv := tinyLlamaVocab()
	sv.Tokens[slices.Index(sv.Tokens, "o▁")] = "oo"
	var buf bytes.Buffer
	if err := WriteLlama2C(&buf, sv); err != nil {
		t.Fatal(err)
	}
	split, err := ReadLlama2C(&buf, "tiny-split.bin", 0)
	if err != nil {
		t.Fatal(err)
	}
	if split.(*bpeTokenizer).splitAt != " " || l2c.(*bpeTokenizer).splitAt != "" {
		t.Fatal("tiny vocabularies: splitAt not as intended")
	}
	out["llama2c/split"] = split
	for name, v := range map[string]*Vocab{"llama": tinyLlamaVocab(), "gpt2": tinyGPT2Vocab()} {
		fv, err := FromVocab(name, v)
		if err != nil {
			t.Fatal(err)
		}
		out[name+"/vocab"] = fv
		hf, err := ParseHF(tinyHFBytes(t, v), name+".json")
		if err != nil {
			t.Fatal(err)
		}
		out[name+"/hf"] = hf
	}
	return out
}
