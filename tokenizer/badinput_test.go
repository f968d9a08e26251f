package tokenizer

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// le32 appends little-endian int32/float32 fields.
func le32(vals ...any) []byte {
	var b []byte
	for _, v := range vals {
		switch x := v.(type) {
		case int:
			b = binary.LittleEndian.AppendUint32(b, uint32(int32(x)))
		case float32:
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
		case string:
			b = append(b, x...)
		}
	}
	return b
}

func TestLlama2CBadInput(t *testing.T) {
	good := tinyLlama2CBytes(t)
	tests := []struct {
		name      string
		data      []byte
		vocabSize int
		want      string
	}{
		{"empty", nil, 0, "max_token_length"},
		{"short header", []byte{1, 2, 3}, 0, "max_token_length"},
		{"no tokens", le32(4), 0, "no tokens"},
		{"negative max length", le32(-1, float32(0), 1, "a"), 0, "negative max_token_length"},
		{"negative length", le32(4, float32(0), -5, "abcd"), 0, "negative length"},
		{"length over max", le32(2, float32(0), 3, "abc"), 0, "exceeds max_token_length"},
		{"huge length", le32(math.MaxInt32, float32(0), math.MaxInt32, "abc"), 0, "past the end"},
		{"truncated piece", le32(4, float32(0), 4, "ab"), 0, "past the end"},
		{"truncated score", append(le32(4, float32(0), 1, "a"), 0, 0), 0, "reading score"},
		{"truncated file", good[:len(good)-3], 0, "unexpected EOF"},
		{"fewer tokens than vocab", good, 1000, "token 286"},
		{"huge vocab", good, 1 << 30, "exceeds the limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := ReadLlama2C(bytes.NewReader(tc.data), "bad.bin", tc.vocabSize)
			if err == nil {
				t.Fatalf("no error (vocab %d)", tok.VocabSize())
			}
			if !strings.Contains(err.Error(), "bad.bin") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name the file and %q", err, tc.want)
			}
		})
	}
}

func TestHFBadInput(t *testing.T) {
	good := string(tinyHFBytes(t, tinyLlamaVocab()))
	gpt2 := string(tinyHFBytes(t, tinyGPT2Vocab()))
	repl := func(s, old, new string) string {
		if !strings.Contains(s, old) {
			t.Fatalf("test setup: %q not in the file", old)
		}
		return strings.Replace(s, old, new, 1)
	}
	tests := []struct {
		name, data, want string
	}{
		{"malformed", `{"model": `, "unexpected end"},
		{"not an object", `[1, 2]`, "cannot unmarshal"},
		{"no model", `{"added_tokens": []}`, "no model"},
		{"model type", repl(good, `"type": "BPE"`, `"type": "WordPiece"`), `unsupported model type "WordPiece"`},
		{"unigram", `{"model": {"type": "Unigram", "vocab": [["a", 0]]}}`, `unsupported model type "Unigram"`},
		{"normalizer", repl(good, `"type": "Prepend"`, `"type": "NFKC"`), `unsupported normalizer type "NFKC"`},
		{"pre_tokenizer", setKey(t, gpt2, "pre_tokenizer", map[string]any{"type": "Whitespace"}), `unsupported pre_tokenizer type "Whitespace"`},
		{"decoder", repl(good, `"type": "Fuse"`, `"type": "CTC"`), `unsupported decoder type "CTC"`},
		{"post_processor", repl(good, `"type": "TemplateProcessing"`, `"type": "BertProcessing"`), `unsupported post_processor type "BertProcessing"`},
		{"dropout", repl(good, `"dropout": null`, `"dropout": 0.1`), "dropout"},
		{"merge missing token", repl(good, `"▁ t",`, `"▁ qq",`), `token "qq" not in vocabulary`},
		{"merge result missing", repl(gpt2, `"Ġ t",`, `"Ġ x",`), `merged token "Ġx" not in vocabulary`},
		{"merge malformed", repl(good, `"h e",`, `"h e x",`), "want two tokens"},
		{"merges not a list", repl(good, `"merges": [`, `"merges": 7, "x": [`), "merges"},
		{"merge pair size", repl(good, `"merges": [`, `"merges": [["a", "b", "c"]], "x": [`), "3 elements, want 2"},
		{"negative id", repl(good, `"▁t": 259`, `"▁t": -4`), "out of range"},
		{"huge id", repl(good, `"▁t": 259`, `"▁t": 2000000000`), "out of range"},
		{"sparse ids", repl(good, `"▁t": 259`, `"▁t": 2000000`), "ids too sparse"},
		{"duplicate id", repl(good, `"▁t": 259`, `"▁t": 260`), "id 260 used by both"},
		{"added conflicts", repl(good, `"id": 1,`, `"id": 259,`), "is the model's token"},
		{"unk missing", repl(good, `"unk_token": "<unk>"`, `"unk_token": "<nope>"`), "unk_token"},
		{"alphabet missing", repl(gpt2, `"Ā": 0,`, ``), "byte-level alphabet incomplete"},
		{"split regex", setKey(t, gpt2, "pre_tokenizer", map[string]any{"type": "Split", "pattern": map[string]any{"Regex": `\s+`}, "behavior": "Isolated"}), "unsupported pre_tokenizer Split"},
		{"metaspace scheme", setKey(t, good, "pre_tokenizer", map[string]any{"type": "Metaspace", "prepend_scheme": "sometimes"}), "prepend_scheme"},
		{"strip decoder", setKey(t, good, "decoder", map[string]any{"type": "Strip", "content": " ", "start": 1, "stop": 2}), "unsupported decoder Strip"},
		{"template without sequence", setKey(t, good, "post_processor", map[string]any{"type": "TemplateProcessing", "single": []any{}}), "no sequence"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseHF([]byte(tc.data), "bad.json")
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), "bad.json") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name the file and %q", err, tc.want)
			}
		})
	}
}

func TestGPT2FilesBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	v := tinyGPT2Vocab()
	encoder := write("encoder.json", string(mustJSON(indexPieces(v.Tokens))))
	tests := []struct {
		name, encoder, bpe, want string
	}{
		{"malformed encoder", write("e1.json", `{"a": `), write("v1.bpe", "#version: 0.2\n"), "e1.json"},
		{"merge fields", encoder, write("v2.bpe", "#version: 0.2\nĠ t x\n"), "want two tokens"},
		{"merge missing", encoder, write("v3.bpe", "#version: 0.2\nĠ qq\n"), `"qq" not in vocabulary`},
		{"missing file", encoder, filepath.Join(dir, "nope.bpe"), "nope.bpe"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadGPT2(tc.encoder, tc.bpe)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	if _, err := LoadGPT2(encoder, write("vocab.bpe", "#version: 0.2\n"+strings.Join(v.Merges, "\n")+"\n")); err != nil {
		t.Errorf("good files: %v", err)
	}
}

func TestFromVocabBadInput(t *testing.T) {
	tests := []struct {
		name   string
		modify func(v *Vocab)
		want   string
	}{
		{"unknown model", func(v *Vocab) { v.Model = "bert" }, `unknown tokenizer model "bert"`},
		{"types length", func(v *Vocab) { v.Types = v.Types[1:] }, "token types for"},
		{"scores length", func(v *Vocab) { v.Scores = v.Scores[1:] }, "scores for"},
		{"bos range", func(v *Vocab) { v.BOS = 100000 }, "BOS id 100000 out of range"},
		{"empty", func(v *Vocab) { v.Tokens, v.Types, v.Scores = nil, nil, nil }, "empty vocabulary"},
		{"no scores", func(v *Vocab) { v.Scores = nil }, "neither scores nor merges"},
		{"bad merge", func(v *Vocab) { v.Merges = []string{"▁ q"} }, `"q" not in vocabulary`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := tinyLlamaVocab()
			tc.modify(v)
			_, err := FromVocab("gguf-file", v)
			if err == nil || !strings.Contains(err.Error(), "gguf-file") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one naming gguf-file and %q", err, tc.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bin := write("l2c/tokenizer.bin", tinyLlama2CBytes(t))
	js := write("hf/tokenizer.json", tinyHFBytes(t, tinyLlamaVocab()))
	write("hf/tokenizer_config.json", []byte(`{"bos_token": {"content": "</s>"}, "eos_token": "<s>"}`))
	other := write("other.bin", tinyLlama2CBytes(t))
	for _, p := range []string{bin, filepath.Dir(bin), js, filepath.Dir(js), other} {
		tok, err := Load(p)
		if err != nil {
			t.Errorf("Load(%s): %v", p, err)
			continue
		}
		if tok.VocabSize() != len(tinyLlamaVocab().Tokens) {
			t.Errorf("Load(%s): vocab %d", p, tok.VocabSize())
		}
	}
	// tokenizer_config.json beside tokenizer.json picks BOS/EOS.
	if tok, err := Load(js); err != nil || tok.BOS() != 2 || tok.EOS() != 1 {
		t.Errorf("Load(%s) with tokenizer_config.json: BOS/EOS not taken from it (err %v)", js, err)
	}
	for _, p := range []string{filepath.Join(dir, "missing"), t.TempDir(), write("junk.bin", []byte("xx"))} {
		if _, err := Load(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("Load(%s): error %v does not name it", p, err)
		}
	}
}

// setKey returns the JSON document doc with its top-level key set to v.
func setKey(t *testing.T, doc, key string, v any) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatal(err)
	}
	m[key] = mustJSON(v)
	return string(mustJSON(m))
}
