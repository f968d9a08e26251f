package checkpoint

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distill-dev/distill/internal/formattest"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/tokenizer"
	"github.com/distill-dev/distill/tokenizer/tokenizertest"
)

func tinyTok(t *testing.T, n int, edit func(*tokenizer.Vocab)) tokenizer.Tokenizer {
	t.Helper()
	v := tokenizertest.Tiny(n)
	if edit != nil {
		edit(v)
	}
	tok, err := tokenizer.FromVocab("tiny", v)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestCheckTokenizer: a tokenizer that does not belong to the model is
// refused by size, special ids or recorded hash.
func TestCheckTokenizer(t *testing.T) {
	own := tinyTok(t, 300, nil)
	ownHash, err := tokenizer.Hash(own)
	if err != nil {
		t.Fatal(err)
	}
	swapped := tinyTok(t, 300, func(v *tokenizer.Vocab) { v.Tokens[100], v.Tokens[101] = v.Tokens[101], v.Tokens[100] })
	cases := []struct {
		name string
		rows int
		hash string
		tok  tokenizer.Tokenizer
		want string // "" = accepted
	}{
		{"its own", 300, ownHash, own, ""},
		{"padded rows", 384, "", own, ""},
		{"300 tokens for 512 rows", 512, "", own, "more padding rows than 128"},
		{"more tokens than rows", 256, "", own, "300 tokens, the model only 256"},
		{"same size, other tokens", 300, ownHash, swapped, "not this model's tokenizer"},
		{"other EOS", 300, "", tinyTok(t, 300, func(v *tokenizer.Vocab) { v.EOS = 3 }), "EOS id 3, the model's is 2"},
		{"other BOS", 300, "", tinyTok(t, 300, func(v *tokenizer.Vocab) { v.BOS = 5 }), "BOS id 5, the model's is 1"},
	}
	for _, c := range cases {
		ck := &checkpoint{cfg: model.Config{VocabSize: c.rows, BOS: 1, EOS: 2}, meta: map[string]string{}}
		if c.hash != "" {
			ck.meta[MetaTokenizerHash] = c.hash
		}
		err := checkTokenizer(ck, c.tok)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}

// TestTokenizerHashRecorded: GGUF and HF checkpoints written with a
// tokenizer carry its hash, which reads back equal to the hash of the
// tokenizer loaded from them; loading with a same-size foreign tokenizer
// fails.
func TestTokenizerHashRecorded(t *testing.T) {
	b := cpu.New(1)
	src, err := Load(filepath.Join("..", "testdata", "quickstart", "teacher.bin"), b, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	want, err := tokenizer.Hash(src.Tokenizer)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gg, hf := filepath.Join(dir, "m.gguf"), filepath.Join(dir, "hf")
	params := model.EncodeParams("random", src.Config, b, model.RandomParams(src.Config, 1), kernels.F32)
	if err := WriteGGUF(gg, src.Config, params, src.Tokenizer, GGUFOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := WriteHF(hf, src.Config, params, src.Tokenizer, HFOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{gg, hf} {
		l, err := Load(p, b, LoadOptions{})
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		got, _ := tokenizer.Hash(l.Tokenizer)
		if l.Metadata[MetaTokenizerHash] != want || got != want {
			t.Errorf("%s: recorded %q, reloaded tokenizer %q, want %q", p, l.Metadata[MetaTokenizerHash], got, want)
		}
		l.Close()
	}
	// The same vocabulary with two tokens swapped, as a tokenizer.json.
	v := tokenizer.VocabOf(src.Tokenizer)
	v.Tokens[200], v.Tokens[201] = v.Tokens[201], v.Tokens[200]
	f, err := os.Create(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := tokenizer.WriteHFTokenizerJSON(f, v); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = Load(gg, b, LoadOptions{Tokenizer: f.Name()})
	if err == nil || !strings.Contains(err.Error(), "not this model's tokenizer") {
		t.Errorf("a foreign tokenizer of the same size: err = %v", err)
	}
}

// TestCompareTokenizers: a student (or a tokenizer given for a model) must
// be the teacher's tokenizer; the error names both and the first token
// that differs, and unused padding ids are allowed.
func TestCompareTokenizers(t *testing.T) {
	teacher := tinyTok(t, 300, nil)
	padded := tinyTok(t, 300, func(v *tokenizer.Vocab) {
		for i := range 8 {
			v.Tokens = append(v.Tokens, fmt.Sprintf("<pad%d>", i))
			v.Types = append(v.Types, tokenizer.TokenUnused)
			v.Scores = append(v.Scores, 0)
		}
	})
	cases := []struct {
		name    string
		student tokenizer.Tokenizer
		want    string // "" = accepted
	}{
		{"the same", tinyTok(t, 300, nil), ""},
		{"padded with unused ids", padded, ""},
		{"same size, swapped ids", tinyTok(t, 300, func(v *tokenizer.Vocab) { v.Tokens[270], v.Tokens[271] = v.Tokens[271], v.Tokens[270] }),
			`tokenizer student.json differs from teacher.bin: token 270 is "r" in student.json, "s" in teacher.bin`},
		{"more tokens", tinyTok(t, 310, nil), `token 300 "d41" of student.json is absent from the other (300 tokens against 310)`},
		{"fewer tokens", tinyTok(t, 290, nil), `token 290 "`},
		{"other EOS", tinyTok(t, 300, func(v *tokenizer.Vocab) { v.EOS = 1 }), "BOS, EOS ids 1, 1 in student.json, 1, 2 in teacher.bin"},
	}
	for _, c := range cases {
		err := CompareTokenizers("teacher.bin", teacher, "student.json", c.student)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}

// TestExplicitTokenizerMustMatch: a tokenizer named for a GGUF file that
// embeds one must be that one (llama2.c's tok512.bin for stories260K.gguf
// is, though it spells <s> differently); a same-size tokenizer with two
// ids swapped is refused with the first differing token.
func TestExplicitTokenizerMustMatch(t *testing.T) {
	dir := filepath.Join(formattest.SharedData(t), "stories260K")
	gg, tokPath := filepath.Join(dir, "stories260K.gguf"), filepath.Join(dir, "tok512.bin")
	if _, err := os.Stat(gg); err != nil {
		t.Skipf("stories260K.gguf not in ../shared/data: %v", err)
	}
	if _, err := LoadTokenizer(gg, LoadOptions{Tokenizer: tokPath}); err != nil {
		t.Errorf("stories260K.gguf with tok512.bin: %v", err)
	}
	tok, err := tokenizer.LoadLlama2C(tokPath, 512)
	if err != nil {
		t.Fatal(err)
	}
	v := tokenizer.VocabOf(tok)
	v.Tokens[300], v.Tokens[301] = v.Tokens[301], v.Tokens[300]
	swapped := filepath.Join(t.TempDir(), "tokenizer.json")
	f, err := os.Create(swapped)
	if err != nil {
		t.Fatal(err)
	}
	if err := tokenizer.WriteHFTokenizerJSON(f, v); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = LoadTokenizer(gg, LoadOptions{Tokenizer: swapped})
	if want := "differs from the model's own: token 300 is"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("stories260K.gguf with a swapped tokenizer: err = %v, want %q", err, want)
	}
}
