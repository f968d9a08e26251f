package eval

import (
	"math"

	"github.com/distill-dev/distill/corpus"
)

// Result is one model's perplexity over a stream.
type Result struct {
	Context int     `json:"context"` // C used
	Stride  int     `json:"stride"`  // s used
	Windows int     `json:"windows"` // model windows evaluated
	Tokens  int     `json:"tokens"`  // scored tokens |S|
	NLL     float64 `json:"nll"`     // mean negative log-likelihood per token, nats
	PPL     float64 `json:"ppl"`     // exp(NLL)
}

func newResult(o Options, t totals, nll float64) Result {
	mean := nll / float64(t.tokens)
	return Result{Context: o.Context, Stride: o.Stride, Windows: t.windows, Tokens: t.tokens, NLL: mean, PPL: math.Exp(mean)}
}

// Perplexity evaluates lm on s with sliding windows as the package
// documentation defines.
func Perplexity(lm LM, s corpus.Stream, o Options) (Result, error) {
	o, err := o.resolve(lm)
	if err != nil {
		return Result{}, err
	}
	t, err := evaluate([]LM{lm}, s, o)
	if err != nil {
		return Result{}, err
	}
	return newResult(o, t, t.nll[0]), nil
}
