package tokenizer

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeSeeds regenerates the committed seed corpora under testdata/fuzz:
//
//	go test ./tokenizer -run TestWriteFuzzSeeds -write-seeds
var writeSeeds = flag.Bool("write-seeds", false, "rewrite testdata/fuzz seed corpora")

// fuzzSeeds are the seed inputs of each target, made from the tiny
// vocabularies (never copied from outside the project).
func fuzzSeeds(t testing.TB) map[string][]any {
	bin := tinyLlama2CBytes(t)
	llama := tinyHFBytes(t, tinyLlamaVocab())
	gpt2 := tinyHFBytes(t, tinyGPT2Vocab())
	return map[string][]any{
		"FuzzReadLlama2C": {
			bin, bin[:len(bin)/2], le32(3, float32(-1), 1, "a", float32(-2), 2, "ab"),
			le32(-1), le32(4, float32(0), -5), le32(2, float32(0), 3, "abc"),
		},
		"FuzzParseHF": {
			llama, gpt2, []byte(`{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [["a", "b"]]}}`),
			[]byte(`{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}}`), []byte(`{"model": {"type": "Unigram"}}`),
		},
		"FuzzRoundTrip": {
			"", "the banana", " hello  world\n\n", "naïve café — 🙂 漢字", "\xff\xfe\xc3", "<s>a</s><|endoftext|>", "aaaaaaa", "'s 've DON'T 123",
		},
	}
}

func TestWriteFuzzSeeds(t *testing.T) {
	if !*writeSeeds {
		t.Skip("run with -write-seeds to regenerate testdata/fuzz")
	}
	for target, seeds := range fuzzSeeds(t) {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, s := range seeds {
			var line string
			switch v := s.(type) {
			case []byte:
				line = fmt.Sprintf("[]byte(%q)", v)
			case string:
				line = fmt.Sprintf("string(%q)", v)
			}
			data := "go test fuzz v1\n" + line + "\n"
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed%02d", i)), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// checkTokenizer runs a parsed tokenizer on a few texts: ids in range,
// no panic, streaming equals Decode.
func checkTokenizer(t *testing.T, tok Tokenizer) {
	for _, s := range []string{"", "the banana", "héllo \xff\n"} {
		ids := tok.Encode(s, true, true)
		var stream []byte
		prev := int32(-1)
		for _, id := range ids {
			if id < 0 || int(id) >= tok.VocabSize() {
				t.Fatalf("Encode(%q) gave id %d outside [0, %d)", s, id, tok.VocabSize())
			}
			stream = append(stream, tok.DecodeToken(prev, id)...)
			prev = id
		}
		if d := tok.Decode(ids); d != string(stream) {
			t.Fatalf("Decode %q != streamed %q", d, stream)
		}
	}
	if v := VocabOf(tok); v.check() != nil {
		t.Fatalf("VocabOf: %v", v.check())
	}
}

func FuzzReadLlama2C(f *testing.F) {
	for _, s := range fuzzSeeds(f)["FuzzReadLlama2C"] {
		f.Add(s.([]byte))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := ReadLlama2C(bytes.NewReader(data), "fuzz.bin", 0)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.bin") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		checkTokenizer(t, tok)
	})
}

func FuzzParseHF(f *testing.F) {
	for _, s := range fuzzSeeds(f)["FuzzParseHF"] {
		f.Add(s.([]byte))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := ParseHF(data, "fuzz.json")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.json") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		checkTokenizer(t, tok)
	})
}

// FuzzRoundTrip: Decode(Encode(x)) == x for every tiny tokenizer (byte
// fallback or byte-level makes every string representable), the llama2.c
// encoder equals its naive reference, and the rebuilt tokenizers (Vocab,
// tokenizer.json) encode as the originals where their definitions agree.
func FuzzRoundTrip(f *testing.F) {
	for _, s := range fuzzSeeds(f)["FuzzRoundTrip"] {
		f.Add(s.(string))
	}
	toks := tinyTokenizers(f)
	v := tinyLlamaVocab()
	var raw []string
	for _, p := range v.Tokens {
		raw = append(raw, strings.ReplaceAll(p, spmSpace, " "))
	}
	raw[1], raw[2] = "\n<s>\n", "\n</s>\n"
	f.Fuzz(func(t *testing.T, s string) {
		for name, tok := range toks {
			if strings.HasSuffix(name, "/hf") && (strings.Contains(s, "<") || strings.Contains(s, spmSpace)) {
				continue // added tokens are matched in the text
			}
			if strings.HasPrefix(name, "llama/") && strings.Contains(s, spmSpace) {
				continue // "▁" in the text is a space to SentencePiece
			}
			if got := tok.Decode(tok.Encode(s, true, true)); got != s {
				t.Errorf("%s: Decode(Encode(%q)) = %q", name, s, got)
			}
		}
		rawSplit := slices.Clone(raw)
		rawSplit[slices.Index(raw, "o ")] = "oo"
		if got, want := toks["llama2c/split"].Encode(s, false, false), llama2cEncodeNaive(rawSplit, v.Scores, s); !slices.Equal(got, want) {
			t.Errorf("llama2c/split: Encode(%q) = %v, naive %v", s, got, want)
		}
		want := llama2cEncodeNaive(raw, v.Scores, s)
		if got := toks["llama2c"].Encode(s, false, false); !slices.Equal(got, want) {
			t.Errorf("llama2c: Encode(%q) = %v, naive %v", s, got, want)
		}
		if !strings.Contains(s, spmSpace) {
			if got := toks["llama/vocab"].Encode(s, false, false); !slices.Equal(got, want) {
				t.Errorf("llama/vocab: Encode(%q) = %v, llama2c %v", s, got, want)
			}
		}
		if !strings.Contains(s, "<") {
			if a, b := toks["gpt2/vocab"].Encode(s, false, false), toks["gpt2/hf"].Encode(s, false, false); !slices.Equal(a, b) {
				t.Errorf("gpt2: Encode(%q): vocab %v, tokenizer.json %v", s, a, b)
			}
		}
	})
}
