// Command trainteacher trains one of the teachers this project ships, a
// small Llama, from random weights with cross-entropy only, as its YAML
// recipe says, and writes it as a llama2.c checkpoint or an F16 GGUF:
//
//	go run ./cmd/trainteacher -config testdata/quickstart/teacher.yaml
//	DISTILL_DATA=../shared/data go run ./cmd/trainteacher -config testdata/stories3M/teacher.yaml
//
// The result depends only on the YAML (seed and thread count included) and
// the data, so rerunning it reproduces the committed file.
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
