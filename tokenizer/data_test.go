package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/distill-dev/distill/internal/formattest"
)

// sharedData returns the file or directory rel under ../shared/data
// (formattest.SharedData finds it), skipping the test when it is absent.
func sharedData(t testing.TB, rel ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{formattest.SharedData(t)}, rel...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("tokenizer: %s not found in ../shared/data: %v", filepath.Join(rel...), err)
	}
	return p
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func readText(t testing.TB, rel ...string) string {
	t.Helper()
	b, err := os.ReadFile(sharedData(t, rel...))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func loadTok512(t testing.TB) Tokenizer {
	t.Helper()
	tok, err := LoadLlama2C(sharedData(t, "stories260K", "tok512.bin"), 512)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func loadGPT2(t testing.TB) Tokenizer {
	t.Helper()
	dir := sharedData(t, "gpt2-bpe")
	tok, err := LoadGPT2(filepath.Join(dir, "encoder.json"), filepath.Join(dir, "vocab.bpe"))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
