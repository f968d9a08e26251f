package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// sharedData returns ../shared/data relative to the module root (the
// directory holding go.mod), skipping the test when it is absent.
func sharedData(t testing.TB, rel ...string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("tokenizer: go.mod not found above the package; cannot locate ../shared/data")
		}
		dir = parent
	}
	p := filepath.Join(append([]string{dir, "..", "shared", "data"}, rel...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("tokenizer: ../shared/data not found (%s): %v", p, err)
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
