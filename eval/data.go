package eval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Format is the layout of an evaluation data file.
type Format string

const (
	FormatAuto  Format = ""      // by extension: .jsonl/.json are JSONL, anything else text
	FormatText  Format = "text"  // plain UTF-8 text
	FormatJSONL Format = "jsonl" // one JSON object per line with a "text" string
)

// ParseFormat parses "", "auto", "text" or "jsonl".
func ParseFormat(s string) (Format, error) {
	switch s {
	case "", "auto":
		return FormatAuto, nil
	case "text", "jsonl":
		return Format(s), nil
	}
	return "", fmt.Errorf("eval: unknown data format %q (want text or jsonl)", s)
}

// FormatOf returns the format of path when f is FormatAuto, else f.
func FormatOf(path string, f Format) Format {
	if f != FormatAuto {
		return f
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".json", ".ndjson":
		return FormatJSONL
	}
	return FormatText
}

// ReadOptions says how to cut a data file into documents.
type ReadOptions struct {
	Format Format
	// SplitDocs makes a text file one document per blank-line-separated
	// block instead of one document holding the whole file.
	SplitDocs bool
}

// ReadDocuments reads the documents of a text or JSONL file. Errors name the
// file (and the line, for JSONL); a file with no text is an error.
func ReadDocuments(path string, o ReadOptions) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	defer f.Close()
	var docs []string
	switch FormatOf(path, o.Format) {
	case FormatJSONL:
		docs, err = ParseJSONL(f, path)
	case FormatText:
		var b []byte
		if b, err = io.ReadAll(f); err != nil {
			return nil, fmt.Errorf("eval: reading %s: %w", path, err)
		}
		if o.SplitDocs {
			docs = SplitDocuments(string(b))
		} else if len(bytes.TrimSpace(b)) > 0 {
			docs = []string{string(b)}
		}
	default:
		return nil, fmt.Errorf("eval: %s: unknown format %q", path, o.Format)
	}
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("eval: %s: no text to evaluate", path)
	}
	return docs, nil
}

// SplitDocuments cuts text at blank lines (lines holding only white space)
// and returns the non-empty blocks, with their surrounding white space
// trimmed and internal newlines kept.
func SplitDocuments(text string) []string {
	var docs []string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			docs = append(docs, strings.TrimSpace(strings.Join(cur, "\n")))
			cur = cur[:0]
		}
	}
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\r\n")
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		cur = append(cur, line)
	}
	flush()
	return docs
}

// ParseJSONL reads one JSON object per line, each with a string field
// "text" (other fields are ignored), and returns the texts. Blank lines are
// skipped. name is used in error messages, which give the line number.
func ParseJSONL(r io.Reader, name string) ([]string, error) {
	br := bufio.NewReader(r)
	var docs []string
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("eval: reading %s: line %d: %w", name, line, err)
		}
		if t := bytes.TrimSpace(b); len(t) > 0 {
			var rec struct {
				Text *string `json:"text"`
			}
			if jerr := json.Unmarshal(t, &rec); jerr != nil {
				return nil, fmt.Errorf("eval: %s:%d: invalid JSON record: %w", name, line, jerr)
			}
			if rec.Text == nil {
				return nil, fmt.Errorf("eval: %s:%d: object has no \"text\" string field", name, line)
			}
			docs = append(docs, *rec.Text)
		}
		if err != nil { // io.EOF
			return docs, nil
		}
	}
}
