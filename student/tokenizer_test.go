package student

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distill-dev/distill/internal/formattest"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/tokenizer"
)

// TestStudentTokenizer: a job whose student tokenizer is not the
// teacher's is refused by Open, before the teacher's weights load, naming
// both tokenizers and the first differing token; the teacher's own
// tokenizer, written as tokenizer.json with padding ids, is accepted.
func TestStudentTokenizer(t *testing.T) {
	dir := filepath.Join(formattest.SharedData(t), "stories260K")
	teacherPath, tokPath := filepath.Join(dir, "stories260K.bin"), filepath.Join(dir, "tok512.bin")
	if _, err := os.Stat(teacherPath); err != nil {
		t.Skipf("stories260K not in ../shared/data: %v", err)
	}
	tok, err := tokenizer.LoadLlama2C(tokPath, 512)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, edit func(v *tokenizer.Vocab)) string {
		v := tokenizer.VocabOf(tok)
		v = &tokenizer.Vocab{Model: v.Model, Tokens: append([]string(nil), v.Tokens...), Types: append([]tokenizer.TokenType(nil), v.Types...),
			Scores: append([]float32(nil), v.Scores...), BOS: v.BOS, EOS: v.EOS, UNK: v.UNK, PAD: v.PAD, AddBOS: v.AddBOS}
		edit(v)
		p := filepath.Join(t.TempDir(), name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := tokenizer.WriteHFTokenizerJSON(f, v); err != nil {
			t.Fatal(err)
		}
		return p
	}
	swapped := write("swapped.json", func(v *tokenizer.Vocab) { v.Tokens[300], v.Tokens[301] = v.Tokens[301], v.Tokens[300] })
	padded := write("padded.json", func(v *tokenizer.Vocab) {
		for range 8 {
			v.Tokens = append(v.Tokens, "")
			v.Types = append(v.Types, tokenizer.TokenUnused)
			v.Scores = append(v.Scores, 0)
		}
	})
	for _, c := range []struct {
		student string
		want    string // "" = accepted
	}{
		{tokPath, ""},
		{padded, ""},
		{swapped, "differs from " + tokPath + ": token 300 is"},
	} {
		j := &Job{Teacher: teacherPath, Tokenizer: tokPath, StudentTokenizer: c.student, SeqLen: 8, Batch: 1}
		err := j.checkStudentTokenizer()
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("student tokenizer %s: err = %v, want %q", filepath.Base(c.student), err, c.want)
		}
		if c.want != "" {
			if _, err := j.Open(cpu.New(1)); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Open with student tokenizer %s: err = %v, want %q", filepath.Base(c.student), err, c.want)
			}
		}
	}
}
