package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/distill-dev/distill/internal/finitejson"
)

// writeJSON writes v as indented JSON and a newline; non-finite numbers
// (a diverged run's loss) are written as null.
func writeJSON(w io.Writer, v any) error {
	b, err := finitejson.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// table writes aligned columns; rows are tab-separated.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer) table { return table{tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)} }

func (t table) row(format string, args ...any) { fmt.Fprintf(t.tw, format+"\n", args...) }
func (t table) flush() error                   { return t.tw.Flush() }

// plural formats a count and a noun: plural(1, "window") is "1 window",
// plural(3, "window") "3 windows".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
