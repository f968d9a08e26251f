package tokenizer

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Load opens a tokenizer, detecting its format:
//
//   - a directory: tokenizer.json (HF), else encoder.json + vocab.bpe
//     (GPT-2), else tokenizer.bin (llama2.c);
//   - encoder.json or vocab.bpe: GPT-2, with the other file beside it;
//   - a file whose content starts with '{': HF tokenizer.json;
//   - any other file: llama2.c tokenizer.bin, read to its end.
func Load(path string) (Tokenizer, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	if st.IsDir() {
		return loadDir(path)
	}
	dir := filepath.Dir(path)
	switch filepath.Base(path) {
	case "encoder.json", "vocab.bpe":
		return LoadGPT2(filepath.Join(dir, "encoder.json"), filepath.Join(dir, "vocab.bpe"))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	head := make([]byte, 64)
	n, err := io.ReadFull(f, head)
	f.Close()
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, fmt.Errorf("tokenizer: %s: %w", path, err)
	}
	if t := bytes.TrimLeft(head[:n], " \t\r\n\ufeff"); len(t) > 0 && t[0] == '{' {
		return LoadHF(path)
	}
	return LoadLlama2C(path, 0)
}

func loadDir(dir string) (Tokenizer, error) {
	exists := func(name string) bool {
		st, err := os.Stat(filepath.Join(dir, name))
		return err == nil && !st.IsDir()
	}
	switch {
	case exists("tokenizer.json"):
		return LoadHF(filepath.Join(dir, "tokenizer.json"))
	case exists("encoder.json") && exists("vocab.bpe"):
		return LoadGPT2(filepath.Join(dir, "encoder.json"), filepath.Join(dir, "vocab.bpe"))
	case exists("tokenizer.bin"):
		return LoadLlama2C(filepath.Join(dir, "tokenizer.bin"), 0)
	}
	return nil, fmt.Errorf("tokenizer: %s: no tokenizer.json, encoder.json+vocab.bpe or tokenizer.bin", dir)
}
