package pipeline

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/distill-dev/distill/eval"
	"github.com/distill-dev/distill/internal/finitejson"
	"github.com/distill-dev/distill/internal/progress"
	"github.com/distill-dev/distill/recipe"
	"github.com/distill-dev/distill/student"
)

// Train builds the student from the teacher and distils it (package
// student), writing train/metrics.jsonl (one line per optimizer step, plus
// validation lines {step, val_ppl, teacher_ppl} every eval_every steps)
// and a checkpoint in train/checkpoint every checkpoint_every steps. When
// resumed it continues from that checkpoint, first dropping the metric
// lines written after it, so an interrupted run ends with the same
// weights and the same metrics file as one never stopped.
type Train struct{}

// Files of the train stage, relative to the run directory.
const (
	CheckpointDir = "train/checkpoint"
	StudentModel  = CheckpointDir + "/model.safetensors"
	StudentConfig = CheckpointDir + "/config.json"
)

// valTokens bounds the tokens scored by the periodic validation during
// training (the eval stage scores the whole evaluation set).
const valTokens = 1 << 14

func (Train) Name() string { return StageTrain }

func (Train) Inputs(r *recipe.Recipe) Inputs {
	f := append(teacherFiles(r), string(r.Data.Train))
	if r.Data.Validation != "" {
		f = append(f, string(r.Data.Validation))
	}
	return Inputs{Sections: []string{"teacher", "data", "student", "distillation", "training"}, Files: f}
}

func (Train) Run(ctx context.Context, env *Env) ([]string, error) {
	r := env.Recipe
	j, err := trainJob(r, env.Manifest.hashFile)
	if err != nil {
		return nil, err
	}
	j.Out, j.Metrics = env.Path(CheckpointDir), env.Path(TrainMetricsFile)
	j.Resume = env.Resume && exists(filepath.Join(j.Out, student.FileState))
	b, err := openBackend(r)
	if err != nil {
		return nil, err
	}
	s, err := j.Open(b)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	tr, err := s.Trainer()
	if err != nil {
		return nil, err
	}
	if j.Resume {
		fmt.Fprintf(env.Log, "train     resuming from step %d\n", tr.Step)
	}
	if note := tr.QADNote(); note != "" {
		fmt.Fprintf(env.Log, "train     %s\n", note)
	}
	kept, err := ReadMetrics(j.Metrics)
	if err != nil {
		return nil, err
	}
	tb, err := openEvents(env.Path(TensorBoardDir), kept)
	if err != nil {
		return nil, err
	}
	defer tb.Close()

	// Validation every eval_every steps: lines {step, val_ppl, teacher_ppl}
	// in the metrics file beside the trainer's.
	val := limitTargets(s.Valid, valTokens)
	eo := eval.Options{Context: min(r.Data.SeqLen, s.Teacher.Config.MaxSeqLen)}
	var teacherPPL float64
	if res, err := eval.Perplexity(s.Teacher.Model, val, eo); err == nil {
		teacherPPL = res.PPL
	}
	steps := tr.Opts.Steps
	bar := env.Progress(int64(steps), "steps")
	bar.Set(int64(tr.Step))
	var logErr error // the first failure to log; OnStep cannot return it
	tr.Opts.OnStep = func(m student.Metrics) {
		bar.Set(int64(m.Step))
		bar.SetFields(progress.F("loss", "%.4f", m.Loss))
		logErr = cmp.Or(logErr, tb.log(m))
		if m.Step%r.Training.EvalEvery != 0 && m.Step != steps {
			return
		}
		res, err := eval.Perplexity(tr.Student, val, eo)
		if err != nil {
			fmt.Fprintf(env.Log, "train     step %d: validation: %v\n", m.Step, err)
			return
		}
		row := map[string]any{"step": m.Step, "val_ppl": res.PPL, "teacher_ppl": teacherPPL}
		line, err := finitejson.Marshal(row) // a diverged student's +Inf: null
		if err == nil {
			_, err = tr.Opts.Metrics.Write(append(line, '\n'))
		}
		logErr = cmp.Or(logErr, err, tb.log(row))
		fmt.Fprintf(env.Log, "train     step %d/%d loss %.4f lr %.3g val ppl %.3f (teacher %.3f)\n", m.Step, steps, m.Loss, m.LR, res.PPL, teacherPPL)
	}
	if err := cmp.Or(tr.Run(ctx), logErr); err != nil {
		bar.Stop()
		return nil, err
	}
	bar.Finish()
	if f, ok := tr.Opts.Metrics.(*os.File); ok {
		if err := f.Sync(); err != nil {
			return nil, fmt.Errorf("pipeline: train: %w", err)
		}
	}
	if err := tb.Close(); err != nil {
		return nil, err
	}
	return []string{StudentModel, StudentConfig, TrainMetricsFile, env.Rel(tb.w.Path())}, nil
}
