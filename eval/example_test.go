package eval_test

import (
	"fmt"

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

func ExamplePerplexity() {
	docs := [][]int32{{10, 11, 12}, {13, 14}}
	s := eval.BuildStream(docs, 1, eval.BOSDocument)
	r, err := eval.Perplexity(flat{}, s, eval.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d tokens, NLL %.4f, PPL %.1f\n", r.Tokens, r.NLL, r.PPL)
	// Output: 5 tokens, NLL 6.2383, PPL 512.0
}
