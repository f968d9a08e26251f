package eval

import (
	"fmt"

	"github.com/distill-dev/distill/corpus"
)

// Definitions returns, one per line, the definitions behind a result
// computed with BOS placement bos, context c and stride s, for printing beside
// the numbers (the package documentation gives them in full).
func Definitions(bos corpus.BOS, c, s int) []string {
	var b string
	switch bos {
	case corpus.BOSNone:
		b = "no BOS inserted; the first token of the stream is not scored"
	case corpus.BOSStream:
		b = "one BOS before the stream, not scored; every text token is scored"
	case corpus.BOSDocument:
		b = "a BOS before each document, not scored; every text token is scored"
	}
	return []string{
		"token-level: NLL = mean over scored tokens of -ln p(token | history) (nats); PPL = exp(NLL)",
		fmt.Sprintf("context: the model sees at most %d tokens per window", c),
		fmt.Sprintf("stride: %d; windows start every %d tokens and score only tokens no earlier window scored, each exactly once, with %d..%d tokens of history (fewer at the stream start)", s, s, c-s+1, c),
		"BOS: " + b,
		"documents are tokenised without BOS/EOS and concatenated into one stream",
	}
}

// CompareDefinitions returns the definitions of the comparison metrics.
func CompareDefinitions() []string {
	return []string{
		"agreement: fraction of scored positions where both models' argmax tokens are equal",
		"KL: mean over scored positions of KL(P||Q) = sum_v p_v (ln p_v - ln q_v), P the reference model (nats/token); reverse KL = KL(Q||P)",
	}
}
