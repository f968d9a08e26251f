// Command genschema writes the recipe JSON Schema (recipe.JSONSchema) to a
// file; `go generate ./recipe` runs it to refresh recipes/schema.json.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/distill-dev/distill/recipe"
)

func main() {
	out := flag.String("o", "", "output file (default: stdout)")
	flag.Parse()
	js, err := recipe.JSONSchema()
	if err != nil {
		fmt.Fprintln(os.Stderr, "genschema:", err)
		os.Exit(1)
	}
	if *out == "" {
		os.Stdout.Write(js)
		return
	}
	if err := os.WriteFile(*out, js, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "genschema:", err)
		os.Exit(1)
	}
}
