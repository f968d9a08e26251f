package corpus

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

// Format is the layout of a data file.
type Format string

const (
	FormatAuto  Format = ""      // by extension: .jsonl/.json/.ndjson are JSONL, anything else text
	FormatText  Format = "text"  // plain UTF-8 text
	FormatJSONL Format = "jsonl" // one JSON object per line with the document under a text field
)

// ParseFormat parses "", "auto", "text" or "jsonl".
func ParseFormat(s string) (Format, error) {
	switch s {
	case "", "auto":
		return FormatAuto, nil
	case "text", "jsonl":
		return Format(s), nil
	}
	return "", fmt.Errorf("corpus: unknown data format %q (want auto, text or jsonl)", s)
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

// BlankLine is the default document separator of text files: a line
// holding only white space.
const BlankLine = "\n\n"

// ReadOptions says how a data file is cut into documents. The zero value
// is the default: format by extension, text cut at blank lines, JSONL text
// under "text".
type ReadOptions struct {
	Format Format
	// Separator cuts text files into documents; "" or BlankLine means at
	// blank lines, anything else at that exact string (after CRLF line
	// ends become LF).
	Separator string
	// Whole makes a text file one document holding the whole file, byte
	// for byte (not trimmed).
	Whole bool
	// TextField is the JSONL field holding the document; "" means "text".
	TextField string
}

// Each calls fn with every document of the file at path, in file order.
// Errors name the file (and the line, for JSONL); an error from fn stops
// the walk and is returned as is.
func Each(path string, o ReadOptions, fn func(doc string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("corpus: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<16)
	switch FormatOf(path, o.Format) {
	case FormatJSONL:
		field := o.TextField
		if field == "" {
			field = "text"
		}
		return eachJSONL(r, path, field, fn)
	case FormatText:
		switch {
		case o.Whole:
			b, err := io.ReadAll(r)
			if err != nil {
				return fmt.Errorf("corpus: reading %s: %w", path, err)
			}
			if len(bytes.TrimSpace(b)) == 0 {
				return nil
			}
			return fn(string(b))
		case o.Separator == "" || o.Separator == BlankLine:
			return eachBlock(r, path, fn)
		default:
			return eachSeparated(r, path, o.Separator, fn)
		}
	}
	return fmt.Errorf("corpus: %s: unknown format %q (want text or jsonl)", path, o.Format)
}

// Read returns the documents of the file at path (see Each). A file with
// no document is an error.
func Read(path string, o ReadOptions) ([]string, error) {
	var docs []string
	err := Each(path, o, func(d string) error { docs = append(docs, d); return nil })
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return nil, errNoText(path)
	}
	return docs, nil
}

func errNoText(path string) error {
	return fmt.Errorf("corpus: %s: no text (the file is empty or only white space)", path)
}

// eachBlock cuts text at blank lines, a line at a time: each block's lines
// are joined with "\n" (CRLF becomes LF) and trimmed.
func eachBlock(r *bufio.Reader, path string, fn func(string) error) error {
	var cur strings.Builder
	flush := func() error {
		if d := strings.TrimSpace(cur.String()); d != "" {
			cur.Reset()
			return fn(d)
		}
		cur.Reset()
		return nil
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("corpus: reading %s: %w", path, err)
		}
		if text := strings.TrimRight(line, "\r\n"); strings.TrimSpace(text) == "" {
			if ferr := flush(); ferr != nil {
				return ferr
			}
		} else {
			if cur.Len() > 0 {
				cur.WriteByte('\n')
			}
			cur.WriteString(text)
		}
		if err != nil { // io.EOF
			return flush()
		}
	}
}

// eachSeparated cuts text at every sep, a line at a time: the documents
// of strings.Split(text with CRLF as LF, sep), trimmed, empty ones
// dropped. ("\r\n" only ends lines, so replacing it line by line is
// replacing it in the whole text.)
func eachSeparated(r *bufio.Reader, path, sep string, fn func(string) error) error {
	var cur strings.Builder
	searched := 0 // cur[:searched] holds no separator start
	emit := func(d string) error {
		if d = strings.TrimSpace(d); d != "" {
			return fn(d)
		}
		return nil
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("corpus: reading %s: %w", path, err)
		}
		if rest, ok := strings.CutSuffix(line, "\r\n"); ok {
			line = rest + "\n"
		}
		cur.WriteString(line)
		for {
			text := cur.String()
			i := strings.Index(text[searched:], sep)
			if i < 0 {
				searched = max(0, len(text)-len(sep)+1)
				break
			}
			i += searched
			if ferr := emit(text[:i]); ferr != nil {
				return ferr
			}
			cur.Reset()
			cur.WriteString(text[i+len(sep):])
			searched = 0
		}
		if err != nil { // io.EOF
			return emit(cur.String())
		}
	}
}

// eachJSONL reads one JSON object per line; blank lines are skipped, other
// fields ignored, and documents empty after trimming dropped.
func eachJSONL(r *bufio.Reader, path, field string, fn func(string) error) error {
	for line := 1; ; line++ {
		b, err := r.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("corpus: reading %s: line %d: %w", path, line, err)
		}
		if t := bytes.TrimSpace(b); len(t) > 0 {
			var rec map[string]json.RawMessage
			if jerr := json.Unmarshal(t, &rec); jerr != nil {
				return fmt.Errorf("corpus: %s:%d: invalid JSON record: %w", path, line, jerr)
			}
			var s string
			if raw, ok := rec[field]; !ok || json.Unmarshal(raw, &s) != nil {
				return fmt.Errorf("corpus: %s:%d: the object has no %q string field", path, line, field)
			}
			if s = strings.TrimSpace(s); s != "" {
				if ferr := fn(s); ferr != nil {
					return ferr
				}
			}
		}
		if err != nil { // io.EOF
			return nil
		}
	}
}
