package pipeline

import (
	"fmt"
	"github.com/distill-dev/distill/corpus"
	"time"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/eval"
	"github.com/distill-dev/distill/internal/progress"
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

	env    *Env
	passes int           // evaluation passes the stage makes: the progress total
	bar    *progress.Bar // started by the first pass
	done   int64         // tokens scored by finished passes
	total  int64         // the bar's total
}

// tracked returns the evaluation options reporting the next pass's
// progress on the stage's bar (total: passes x the tokens of one pass).
func (e *evalSet) tracked() (eval.Options, func()) {
	o, base := e.opts, e.done
	var pass int64
	o.Progress = func(done, total int) {
		if e.bar == nil {
			e.total = int64(e.passes) * int64(total)
			e.bar = e.env.Progress(e.total, "tok")
		}
		pass = int64(total)
		e.bar.Set(base + int64(done))
	}
	return o, func() { e.done = base + pass }
}

// newEvalSet loads the teacher and the student, tokenises the evaluation
// text and scores the teacher on it. passes is the number of evaluation
// passes the stage will make, this one included (for its progress ETA).
func newEvalSet(env *Env, passes int) (*evalSet, error) {
	r := env.Recipe
	b, t, err := loadTeacher(r)
	if err != nil {
		return nil, err
	}
	e := &evalSet{b: b, teacher: t, env: env, passes: passes}
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
	o, passDone := e.tracked()
	res, err := eval.Perplexity(t.Model, e.stream, o)
	passDone()
	if err != nil {
		e.Close()
		return nil, err
	}
	e.secs = time.Since(start).Seconds()
	if err := checkTeacherPPL(env, res.PPL, t.Tokenizer.VocabSize()); err != nil {
		e.Close()
		return nil, err
	}
	e.ref = ModelMetrics{Label: "teacher", Path: t.Path, Params: int64(t.Model.NumParams()), PPL: res.PPL, NLL: res.NLL,
		Tokens: int64(res.Tokens), TokPerSec: float64(res.Tokens) / e.secs}
	return e, nil
}

// checkTeacherPPL fails the run when the teacher does worse than guessing
// uniformly over its vocabulary (perplexity above the vocabulary size): its
// tokenizer, or the text, does not belong to it, and every metric measured
// against it would be meaningless (a 512-token teacher once scored 227,905
// while the ppl-ratio gate passed).
func checkTeacherPPL(env *Env, ppl float64, vocab int) error {
	if ppl <= float64(vocab) { // NaN (a broken teacher) fails too
		return nil
	}
	msg := fmt.Sprintf("the teacher's perplexity %.6g on the evaluation text exceeds its vocabulary size %d (uniform guessing scores %d): its tokenizer or the text does not belong to it; check teacher.tokenizer and the data", ppl, vocab, vocab)
	fmt.Fprintf(env.Log, "warning: %s\n", msg)
	return fmt.Errorf("pipeline: %s", msg)
}

func (e *evalSet) Close() {
	if e.bar != nil && e.done >= e.total {
		e.bar.Finish()
	} else if e.bar != nil {
		e.bar.Stop()
	}
	e.student.Close()
	e.teacher.Close()
}

// measure scores lm against the teacher: perplexity, KL(teacher||lm) and
// top-1 agreement. Its tokens/s is that of the comparison pass less the
// teacher's share of it (the teacher's own pass time).
func (e *evalSet) measure(label string, lm eval.LM) (ModelMetrics, error) {
	start := time.Now()
	o, passDone := e.tracked()
	c, err := eval.Compare(e.teacher.Model, lm, e.stream, o)
	passDone()
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
