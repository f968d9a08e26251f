// Command quickstartgen writes the quickstart data (train.txt, valid.txt,
// tokenizer.bin) into a folder; run by go generate ./internal/corpusgen.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/distill-dev/distill/internal/corpusgen/quickstart"
)

func main() {
	out := flag.String("out", "testdata/quickstart", "output folder")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "quickstartgen:", err)
		os.Exit(1)
	}
	if err := quickstart.WriteDir(*out); err != nil {
		fmt.Fprintln(os.Stderr, "quickstartgen:", err)
		os.Exit(1)
	}
}
