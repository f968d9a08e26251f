package quickstart

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distill-dev/distill/tokenizer"
)

// dataDir is testdata/quickstart; go test runs in the package's folder.
var dataDir = filepath.Join("..", "..", "..", "testdata", "quickstart")

// TestCommittedFiles checks that the committed quickstart data is exactly
// what the generator makes, so neither can drift from the other.
func TestCommittedFiles(t *testing.T) {
	files, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	dir := dataDir
	total := 0
	for _, f := range files {
		got, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil {
			t.Errorf("%v (run: go generate ./internal/corpusgen)", err)
			continue
		}
		total += len(got)
		if !bytes.Equal(got, f.Data) {
			t.Errorf("testdata/quickstart/%s (%d bytes) differs from the generator's output (%d bytes): run go generate ./internal/corpusgen", f.Name, len(got), len(f.Data))
		}
	}
	if total > 3<<20 {
		t.Errorf("quickstart data is %d bytes, over the 3 MiB budget", total)
	}
}

// TestTokenizer loads the committed tokenizer.bin as the recipe does and
// checks it round-trips and compresses the validation stories.
func TestTokenizer(t *testing.T) {
	dir := dataDir
	tok, err := tokenizer.LoadLlama2C(filepath.Join(dir, TokenizerFile), VocabSize)
	if err != nil {
		t.Fatal(err)
	}
	if tok.VocabSize() != VocabSize || tok.BOS() != 1 || tok.EOS() != 2 {
		t.Errorf("vocab %d BOS %d EOS %d", tok.VocabSize(), tok.BOS(), tok.EOS())
	}
	for _, name := range []string{TrainFile, ValidFile} {
		text, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		docs := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n\n")
		var nTok, nByte int
		for _, d := range docs {
			ids := tok.Encode(d, true, false)
			if got := tok.Decode(ids); got != d {
				t.Fatalf("%s: Decode(Encode(%q)) = %q", name, d, got)
			}
			nTok += len(ids) - 1
			nByte += len(d)
		}
		ratio := float64(nTok) / float64(nByte)
		t.Logf("%s: %d documents, %d bytes, %d tokens (without BOS), %.3f tokens/byte", name, len(docs), nByte, nTok, ratio)
		if ratio > 0.5 {
			t.Errorf("%s: %.3f tokens/byte, want < 0.5", name, ratio)
		}
	}
}
