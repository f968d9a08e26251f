// Package quickstart builds the data of the quickstart recipe
// (testdata/quickstart): generated stories for training and validation and
// a BPE tokenizer trained on the training stories. Everything is a pure
// function of the constants below, so the committed files can be checked
// against a fresh build (TestCommittedFiles).
package quickstart

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/distill-dev/distill/internal/atomicfile"
	"github.com/distill-dev/distill/internal/corpusgen"
	"github.com/distill-dev/distill/tokenizer"
)

// The recipe of the data.
const (
	TrainStories = 2700 // about 1.5 MB
	TrainSeed    = 1
	ValidStories = 180 // about 100 KB
	ValidSeed    = 2
	VocabSize    = 512 // as stories260K's tok512
)

// File names in the quickstart folder.
const (
	TrainFile     = "train.txt"
	ValidFile     = "valid.txt"
	TokenizerFile = "tokenizer.bin"
)

// File is one generated file.
type File struct {
	Name string
	Data []byte
}

// Files builds the quickstart data in memory: train.txt, valid.txt and
// tokenizer.bin (llama2.c format, trained on train.txt's documents).
func Files() ([]File, error) {
	var train, valid, tok bytes.Buffer
	if err := corpusgen.Write(&train, TrainStories, TrainSeed); err != nil {
		return nil, err
	}
	if err := corpusgen.Write(&valid, ValidStories, ValidSeed); err != nil {
		return nil, err
	}
	docs := strings.Split(strings.TrimSuffix(train.String(), "\n"), "\n\n")
	v, err := tokenizer.TrainBPE(docs, VocabSize)
	if err != nil {
		return nil, fmt.Errorf("quickstart: training the tokenizer: %w", err)
	}
	if err := tokenizer.WriteLlama2C(&tok, v); err != nil {
		return nil, fmt.Errorf("quickstart: %w", err)
	}
	return []File{{TrainFile, train.Bytes()}, {ValidFile, valid.Bytes()}, {TokenizerFile, tok.Bytes()}}, nil
}

// WriteDir writes Files into dir, each atomically.
func WriteDir(dir string) error {
	files, err := Files()
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := atomicfile.Write(filepath.Join(dir, f.Name), func(w io.Writer) error {
			_, err := w.Write(f.Data)
			return err
		}); err != nil {
			return fmt.Errorf("quickstart: %w", err)
		}
	}
	return nil
}
