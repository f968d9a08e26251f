package tokenizer

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// corpora are the shared text files used for round trips.
var corpora = [][]string{
	{"tinystories-gen", "valid.txt"},
	{"text", "tinyshakespeare.txt"},
	{"tinystories", "valid-head.txt"},
}

func TestLlama2CRoundTrip(t *testing.T) {
	tok := loadTok512(t)
	for _, c := range corpora {
		text := readText(t, c...)
		ids := tok.Encode(text, true, false)
		if got := tok.Decode(ids); got != text {
			i := firstDiff(got, text)
			t.Errorf("%s: Decode(Encode(x)) differs at byte %d: %q vs %q", c[1], i, clip(got, i), clip(text, i))
		}
		t.Logf("%s: %d bytes -> %d tokens", c[1], len(text), len(ids))
	}
}

// TestLlama2CNaive checks the heap merge against llama2.c's O(n^2) loop on
// chunks of real text (byte-fallback heavy for Shakespeare).
func TestLlama2CNaive(t *testing.T) {
	path := sharedData(t, "stories260K", "tok512.bin")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pieces, scores, err := parseLlama2C(data, 512)
	if err != nil {
		t.Fatal(err)
	}
	tok := newLlama2C(path, pieces, scores)
	chunks := 0
	for _, c := range corpora {
		text := readText(t, c...)
		for off := 0; off < len(text) && off < 60000; off += 6000 {
			chunk := validPrefix(text[off:min(len(text), off+1500)])
			want := llama2cEncodeNaive(pieces, scores, chunk)
			if got := tok.Encode(chunk, false, false); !slices.Equal(got, want) {
				t.Fatalf("%s offset %d: heap merge differs from naive:\n got %v\nwant %v", c[1], off, got, want)
			}
			chunks++
		}
	}
	for _, s := range []string{"", " ", "a", "  two  spaces", "naïve café — 🙂 漢字", "\xff\xfe broken \xc3", "<s> </s> <unk> <0x41>"} {
		if got, want := tok.Encode(s, false, false), llama2cEncodeNaive(pieces, scores, s); !slices.Equal(got, want) {
			t.Errorf("Encode(%q) = %v, naive %v", s, got, want)
		}
		if got := tok.Decode(tok.Encode(s, false, false)); got != s {
			t.Errorf("Decode(Encode(%q)) = %q", s, got)
		}
	}
	t.Logf("%d chunks agree", chunks)

	// Cutting before spaces (splitAt) must not change whole-file encodings.
	if tok.splitAt != " " {
		t.Fatalf("tok512: splitAt = %q, want a space", tok.splitAt)
	}
	whole := newLlama2C(path, pieces, scores)
	whole.splitAt = ""
	for _, c := range corpora[:2] {
		text := readText(t, c...)
		if testing.Short() {
			text = text[:100000]
		}
		if i := mismatch(tok.Encode(text, false, false), whole.Encode(text, false, false)); i >= 0 {
			t.Errorf("%s: encoding cut at spaces differs from the whole-text merge at token %d", c[1], i)
		}
	}
}

func TestGPT2RoundTrip(t *testing.T) {
	tok := loadGPT2(t)
	ranks := map[[2]string]int{}
	for i, m := range VocabOf(tok).Merges {
		a, b, _ := strings.Cut(m, " ")
		ranks[[2]string{a, b}] = i
	}
	ids := indexPieces(VocabOf(tok).Tokens)
	for _, c := range corpora {
		text := readText(t, c...)
		enc := tok.Encode(text, false, false)
		if got := tok.Decode(enc); got != text {
			i := firstDiff(got, text)
			t.Errorf("%s: Decode(Encode(x)) differs at byte %d", c[1], i)
		}
		// The splitter against the literal matcher, and BPE against encoder.py.
		sample := validPrefix(text[:min(len(text), 20000)])
		words := []string{}
		splitGPT2(sample, func(w string) { words = append(words, w) })
		if naive := gpt2SplitNaive(sample); !slices.Equal(words, naive) {
			t.Fatalf("%s: splitGPT2 differs from the naive matcher", c[1])
		}
		var want []int32
		for _, w := range words {
			for _, p := range gpt2BPENaive(ranks, w) {
				want = append(want, ids[p])
			}
		}
		if got := tok.Encode(sample, false, false); !slices.Equal(got, want) {
			t.Fatalf("%s: Encode differs from encoder.py's bpe", c[1])
		}
		t.Logf("%s: %d bytes -> %d tokens", c[1], len(text), len(enc))
	}
	for _, s := range []string{"\xff\xfe broken \xc3", "a\u00a0b\u2003c\u3000 d", "x  \n\n\t y", "12.5e3 x\r\n"} {
		if got := tok.Decode(tok.Encode(s, false, false)); got != s {
			t.Errorf("Decode(Encode(%q)) = %q", s, got)
		}
		var w []string
		splitGPT2(s, func(x string) { w = append(w, x) })
		if s == strings.ToValidUTF8(s, "") && !slices.Equal(w, gpt2SplitNaive(s)) {
			t.Errorf("split(%q) = %q, naive %q", s, w, gpt2SplitNaive(s))
		}
	}
}

// TestVocabRoundTrip rebuilds tokenizers from their Vocab (as a GGUF
// reader would) and through tokenizer.json, and compares encodings.
func TestVocabRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		load func(testing.TB) Tokenizer
	}{{"llama2c", loadTok512}, {"gpt2", loadGPT2}} {
		t.Run(tc.name, func(t *testing.T) {
			orig := tc.load(t)
			v := VocabOf(orig)
			fromVocab, err := FromVocab("vocab", v)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := WriteHFTokenizerJSON(&buf, v); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "tokenizer.json")
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			hf, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if hf.VocabSize() != orig.VocabSize() || hf.BOS() != orig.BOS() || hf.EOS() != orig.EOS() {
				t.Errorf("HF: VocabSize/BOS/EOS %d/%d/%d, want %d/%d/%d", hf.VocabSize(), hf.BOS(), hf.EOS(), orig.VocabSize(), orig.BOS(), orig.EOS())
			}
			if VocabOf(hf).AddBOS != v.AddBOS {
				t.Errorf("HF: AddBOS %v, want %v", VocabOf(hf).AddBOS, v.AddBOS)
			}
			for _, c := range corpora {
				text := readText(t, c...)
				if testing.Short() {
					text = text[:min(len(text), 100000)]
				}
				want := orig.Encode(text, true, true)
				for _, other := range []struct {
					name string
					tok  Tokenizer
				}{{"FromVocab", fromVocab}, {"tokenizer.json", hf}} {
					got := other.tok.Encode(text, true, true)
					if i := mismatch(got, want); i >= 0 {
						t.Errorf("%s on %s: encodings differ at token %d: %v vs %v", other.name, c[1], i, got[i:min(len(got), i+8)], want[i:min(len(want), i+8)])
					}
					if d := other.tok.Decode(got); d != orig.Decode(want) {
						t.Errorf("%s on %s: decodings differ", other.name, c[1])
					}
				}
			}
			// The rebuilt vocabularies describe the same tokens.
			v2 := VocabOf(hf)
			if !slices.Equal(v2.Tokens, v.Tokens) || !slices.Equal(v2.Types, v.Types) {
				t.Errorf("tokenizer.json vocabulary differs from the original")
			}
		})
	}
}

// TestLlama2CWriteRoundTrip writes tok512 back from its Vocab and gets the
// same bytes.
func TestLlama2CWriteRoundTrip(t *testing.T) {
	path := sharedData(t, "stories260K", "tok512.bin")
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteLlama2C(&buf, VocabOf(loadTok512(t))); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("WriteLlama2C(VocabOf(tok512)) differs from tok512.bin (%d vs %d bytes, first difference at %d)", buf.Len(), len(want), firstDiff(buf.String(), string(want)))
	}
}

func mismatch(a, b []int32) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

func firstDiff(a, b string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func clip(s string, i int) string {
	return s[max(0, i-20):min(len(s), i+20)]
}

// validPrefix drops a partial UTF-8 character cut at the end of s.
func validPrefix(s string) string {
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
