package pipeline

import (
	"github.com/distill-dev/distill/corpus"
	"time"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/eval"
	"github.com/distill-dev/distill/kernels"
)

// evalSet is the teacher and the trained student, loaded once, with the
// evaluation stream and the teacher's perplexity, against which the student
// and each quantized student are measured.
type evalSet struct {
	b       kernels.Backend
	teacher *checkpoint.Loaded
	student *checkpoint.Loaded
	stream  corpus.Stream
	opts    eval.Options
	ref     ModelMetrics // the teacher's
	secs    float64      // seconds of the teacher's perplexity pass
}

// newEvalSet loads the teacher and the student, tokenises the evaluation
// text and scores the teacher on it.
func newEvalSet(env *Env) (*evalSet, error) {
	r := env.Recipe
	b, t, err := loadTeacher(r)
	if err != nil {
		return nil, err
	}
	e := &evalSet{b: b, teacher: t}
	if e.student, err = loadStudent(env, b); err != nil {
		t.Close()
		return nil, err
	}
	if e.stream, err = evalStream(r, t.Tokenizer); err != nil {
		e.Close()
		return nil, err
	}
	e.opts = eval.Options{Context: min(r.Evaluation.Context, t.Config.MaxSeqLen), Stride: min(r.Evaluation.Stride, r.Evaluation.Context, t.Config.MaxSeqLen)}
	start := time.Now()
	res, err := eval.Perplexity(t.Model, e.stream, e.opts)
	if err != nil {
		e.Close()
		return nil, err
	}
	e.secs = time.Since(start).Seconds()
	e.ref = ModelMetrics{Label: "teacher", Path: t.Path, Params: int64(t.Model.NumParams()), PPL: res.PPL, NLL: res.NLL,
		Tokens: int64(res.Tokens), TokPerSec: float64(res.Tokens) / e.secs}
	return e, nil
}

func (e *evalSet) Close() {
	e.student.Close()
	e.teacher.Close()
}

// measure scores lm against the teacher: perplexity, KL(teacher||lm) and
// top-1 agreement. Its tokens/s is that of the comparison pass less the
// teacher's share of it (the teacher's own pass time).
func (e *evalSet) measure(label string, lm eval.LM) (ModelMetrics, error) {
	start := time.Now()
	c, err := eval.Compare(e.teacher.Model, lm, e.stream, e.opts)
	if err != nil {
		return ModelMetrics{}, err
	}
	secs := time.Since(start).Seconds()
	if secs > 2*e.secs {
		secs -= e.secs
	}
	kl, agree := c.KL, c.Agreement
	return ModelMetrics{Label: label, PPL: c.Q.PPL, NLL: c.Q.NLL, KL: &kl, Agreement: &agree,
		Tokens: int64(c.Q.Tokens), TokPerSec: float64(c.Q.Tokens) / secs}, nil
}
