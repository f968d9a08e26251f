package eval_test

import (
	"fmt"
	"github.com/distill-dev/distill/corpus"

	"github.com/distill-dev/distill/eval"
)

// flat is a model that gives every token of a 512-token vocabulary the same
// probability.
type flat struct{}

func (flat) VocabSize() int { return 512 }
func (flat) MaxSeqLen() int { return 256 }
func (flat) Logits(dst []float32, ids []int32, B, T int) []float32 {
	dst = append(dst[:0], make([]float32, B*T*512)...)
	return dst
}

// bytes is a tokenizer with one token per byte and BOS 1.
type bytes struct{}

func (bytes) BOS() int32 { return 1 }
func (bytes) Encode(text string, addBOS, addEOS bool) []int32 {
	var ids []int32
	for i := range len(text) {
		ids = append(ids, int32(text[i]))
	}
	return ids
}

func ExamplePerplexity() {
	s := corpus.Tokenize(bytes{}, []string{"abc", "de"}, corpus.BOSDocument)
	r, err := eval.Perplexity(flat{}, s, eval.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d tokens, NLL %.4f, PPL %.1f\n", r.Tokens, r.NLL, r.PPL)
	// Output: 5 tokens, NLL 6.2383, PPL 512.0
}
