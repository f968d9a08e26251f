package pipeline

import (
	"context"
	"os"

	"github.com/distill-dev/distill/recipe"
)

// Eval measures teacher and trained student on the evaluation text:
// perplexity, KL(teacher||student), top-1 agreement and tokens/s, into
// eval/metrics.json.
type Eval struct{}

func (Eval) Name() string { return StageEval }

func (Eval) Inputs(r *recipe.Recipe) Inputs {
	f := teacherFiles(r)
	if r.Evaluation.Data != "" {
		f = append(f, string(r.Evaluation.Data))
	}
	return Inputs{Sections: []string{"teacher", "data", "evaluation"}, Files: f}
}

func (Eval) Run(ctx context.Context, env *Env) ([]string, error) {
	es, err := newEvalSet(env, 2) // the teacher, then the student against it
	if err != nil {
		return nil, err
	}
	defer es.Close()
	st := es.student
	sm, err := es.measure("student", st.Model)
	if err != nil {
		return nil, err
	}
	sm.Path, sm.Params = StudentModel, int64(st.Model.NumParams())
	if fi, err := os.Stat(env.Path(StudentModel)); err == nil {
		sm.SizeBytes = fi.Size()
	}
	tm := es.ref
	if fi, err := os.Stat(tm.Path); err == nil && !fi.IsDir() {
		tm.SizeBytes = fi.Size()
	}
	if err := writeJSON(env.Path(EvalMetricsFile), EvalMetrics{Teacher: tm, Student: sm}); err != nil {
		return nil, err
	}
	return []string{EvalMetricsFile}, nil
}
