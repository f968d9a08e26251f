package teacher_test

import (
	"fmt"
	"log"
	"os"

	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/teacher"
)

// Load a checkpoint (llama2.c .bin, HF directory or GGUF) and continue a
// prompt greedily, streaming the text.
func ExampleGenerate() {
	t, err := teacher.Load("../shared/data/stories260K/stories260K.bin", cpu.New(2), teacher.LoadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer t.Close()
	_, text, err := teacher.Generate(t, "Once upon a time", teacher.GenerateOptions{MaxTokens: 60},
		func(piece string) { fmt.Fprint(os.Stderr, piece) })
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(text)
}
