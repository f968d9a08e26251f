package generate_test

import (
	"fmt"
	"log"
	"os"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/generate"
	"github.com/distill-dev/distill/kernels/cpu"
)

// Load a checkpoint (llama2.c .bin, HF directory or GGUF) and continue a
// prompt greedily, streaming the text.
func ExampleText() {
	t, err := checkpoint.Load("../shared/data/stories260K/stories260K.bin", cpu.New(2), checkpoint.LoadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer t.Close()
	_, text, _, err := generate.Text(t.Model, t.Tokenizer, "Once upon a time", generate.Options{MaxTokens: 60, Stop: t.EndIDs},
		func(piece string) { fmt.Fprint(os.Stderr, piece) })
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(text)
}
