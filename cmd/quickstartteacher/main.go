// Command quickstartteacher trains the quickstart's default teacher, a
// small Llama, from random weights on testdata/quickstart/train.txt with
// the committed tokenizer (cross-entropy only) and writes it as a llama2.c
// checkpoint. Its whole recipe is testdata/quickstart/teacher.yaml:
//
//	go run ./cmd/quickstartteacher -config testdata/quickstart/teacher.yaml
//
// The result depends only on the YAML (seed and thread count included) and
// the data, so rerunning it reproduces teacher.bin.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	path := flag.String("config", "testdata/quickstart/teacher.yaml", "the teacher's recipe (YAML)")
	flag.Parse()
	c, err := LoadConfig(*path)
	if err == nil {
		_, err = Train(c, os.Stderr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
