package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/distill-dev/distill/corpus"
)

// corpusFlags are the flags every command that reads text shares (eval,
// quantize, train, teach): one set of names and one set of defaults, those
// of package corpus.
func corpusFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "format", Value: "auto", Usage: "data format: auto (by extension: .jsonl/.json/.ndjson are JSONL), text, jsonl"},
		&cli.BoolFlag{Name: "split-docs", Value: true, Usage: "text files: blank lines separate documents (--split-docs=false: the whole file is one document)"},
		&cli.StringFlag{Name: "bos", Value: "document", Usage: "BOS placement: document (before every document), stream (once, before the stream), none"},
	}
}

// corpusOptions reads the corpus flags; a deprecated BOS spelling is
// accepted with a note on stderr.
func corpusOptions(e *env, c *cli.Context) (corpus.ReadOptions, corpus.BOS, error) {
	f, err := corpus.ParseFormat(c.String("format"))
	if err != nil {
		return corpus.ReadOptions{}, 0, fmt.Errorf("--format: %w", err)
	}
	bos, note, err := corpus.ParseBOS(c.String("bos"))
	if err != nil {
		return corpus.ReadOptions{}, 0, fmt.Errorf("--bos: %w", err)
	}
	if note != "" {
		fmt.Fprintf(e.stderr, "distill: warning: --bos: %s\n", note)
	}
	return corpus.ReadOptions{Format: f, Whole: !c.Bool("split-docs")}, bos, nil
}

// dataSummary describes the text a command read.
type dataSummary struct {
	Path      string `json:"path"`
	Format    string `json:"format"`
	Documents int    `json:"documents"`
	Tokens    int    `json:"tokens"` // stream length, inserted BOS included
	BOS       string `json:"bos"`
}

func summarizeData(path string, o corpus.ReadOptions, bos corpus.BOS, s corpus.Stream) dataSummary {
	return dataSummary{Path: path, Format: string(corpus.FormatOf(path, o.Format)), Documents: s.Docs(), Tokens: s.Len(), BOS: bos.String()}
}
