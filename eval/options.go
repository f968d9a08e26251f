package eval

import (
	"fmt"
	"runtime"
)

// Options controls how a stream is cut into windows and evaluated. The zero
// value means: context = the model's maximum sequence length, stride =
// context, automatic batching, all cores.
type Options struct {
	Context int // C, tokens the model sees per window; 0 = MaxSeqLen (the smaller of two models')
	Stride  int // s, 1 <= s <= C; 0 = C
	// Batch is the number of windows per Logits call; 0 picks as many as keep
	// the logits of one call within LogitBudget floats (at most 16).
	Batch   int
	Workers int // goroutines that reduce logit rows; 0 = GOMAXPROCS
	// Progress, when set, is called after each batch with the number of
	// targets scored so far and the total.
	Progress func(done, total int)
}

// LogitBudget is the number of float32 logits one automatic batch may hold
// per model (256 MiB).
const LogitBudget = 64 << 20

const maxAutoBatch = 16

// resolve fills in defaults against the models' limits.
func (o Options) resolve(lms ...LM) (Options, error) {
	maxT, v := lms[0].MaxSeqLen(), lms[0].VocabSize()
	for _, m := range lms[1:] {
		maxT = min(maxT, m.MaxSeqLen())
		if m.VocabSize() != v {
			return o, fmt.Errorf("eval: vocabulary sizes differ (%d vs %d): models must share a tokenizer to be compared", v, m.VocabSize())
		}
	}
	if v < 1 {
		return o, fmt.Errorf("eval: model vocabulary size %d", v)
	}
	if o.Context == 0 {
		o.Context = maxT
	}
	if o.Context < 1 || o.Context > maxT {
		return o, fmt.Errorf("eval: context length %d outside [1, %d] (the model's maximum sequence length)", o.Context, maxT)
	}
	if o.Stride == 0 {
		o.Stride = o.Context
	}
	if o.Stride < 1 || o.Stride > o.Context {
		return o, fmt.Errorf("eval: stride %d outside [1, context length %d]", o.Stride, o.Context)
	}
	if o.Batch < 0 {
		return o, fmt.Errorf("eval: batch %d is negative", o.Batch)
	}
	if o.Batch == 0 {
		o.Batch = max(1, min(maxAutoBatch, LogitBudget/(o.Context*v)))
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o, nil
}
