package eval

import "github.com/distill-dev/distill/corpus"

// Comparison is the result of evaluating a reference model P and a model Q
// on the same windows of the same stream.
type Comparison struct {
	P         Result  `json:"p"`          // reference model (e.g. the teacher)
	Q         Result  `json:"q"`          // compared model (e.g. the student)
	Agreement float64 `json:"agreement"`  // fraction of scored positions with equal argmax
	KL        float64 `json:"kl"`         // mean KL(P||Q) per scored token, nats
	ReverseKL float64 `json:"reverse_kl"` // mean KL(Q||P) per scored token, nats
}

// Compare evaluates p and q on s with the same windows and returns each
// model's perplexity, their top-1 agreement and the KL divergences per token
// (package documentation). The models must have the same vocabulary size;
// the default context is the smaller of their maximum sequence lengths.
func Compare(p, q LM, s corpus.Stream, o Options) (Comparison, error) {
	o, err := o.resolve(p, q)
	if err != nil {
		return Comparison{}, err
	}
	t, err := evaluate([]LM{p, q}, s, o)
	if err != nil {
		return Comparison{}, err
	}
	n := float64(t.tokens)
	return Comparison{
		P:         newResult(o, t, t.nll[0]),
		Q:         newResult(o, t, t.nll[1]),
		Agreement: float64(t.agree) / n,
		KL:        t.kl / n,
		ReverseKL: t.rkl / n,
	}, nil
}
