package pipeline

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"github.com/distill-dev/distill/corpus"
	"io"
	"os"
	"path/filepath"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/eval"
	"github.com/distill-dev/distill/internal/atomicfile"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
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

// trainOptions maps the recipe onto student.Options.
func trainOptions(r *recipe.Recipe) (student.Options, error) {
	d, t := r.Distillation, r.Training
	var o student.Options
	div := d.Divergence
	alpha := d.Alpha
	switch d.Loss {
	case recipe.LossCE:
		alpha = 0
	case recipe.LossMix:
	default:
		div, alpha = d.Loss, 1
	}
	kind, ok := map[string]kernels.Divergence{recipe.LossKL: kernels.ForwardKL, recipe.LossReverseKL: kernels.ReverseKL, recipe.LossJSD: kernels.JSD}[div]
	if !ok {
		return o, r.Errorf("distillation.divergence", "divergence %q is not supported by the trainer", div)
	}
	o.Loss = kernels.LossParams{Divergence: kind, Temperature: float32(d.Temperature), Alpha: float32(alpha), Beta: float32(d.Beta)}
	if sl := d.SoftLabels; sl != nil && sl.Mode == recipe.SoftCached && d.Hidden != nil {
		// The hidden-state loss needs the teacher's activations, so the
		// teacher runs anyway: take its top-k on the device, the same
		// targets the cache would hold.
		o.TopK = sl.TopK
	}
	o.Steps = r.Steps()
	o.GradAccum = t.GradAccum
	o.Schedule = student.Schedule{Kind: t.Schedule.Kind, LR: t.Optimizer.LR, Warmup: t.Schedule.WarmupSteps, Total: o.Steps, MinRatio: t.Schedule.MinLRRatio}
	o.Beta1, o.Beta2, o.Eps, o.WeightDecay = t.Optimizer.Betas[0], t.Optimizer.Betas[1], t.Optimizer.Eps, t.Optimizer.WeightDecay
	o.DecayAll = t.Optimizer.DecayNormsEmbedding
	o.GradClip = t.GradClip
	o.Precision = t.Precision
	if ls := t.LossScale; ls != nil {
		o.LossScale = student.LossScale{Initial: ls.Initial, Growth: ls.GrowthInterval, GrowthFactor: ls.GrowthFactor, Backoff: ls.BackoffFactor}
	}
	o.CheckpointEvery = t.CheckpointEvery
	return o, nil
}

func (Train) Run(ctx context.Context, env *Env) ([]string, error) {
	r := env.Recipe
	o, err := trainOptions(r)
	if err != nil {
		return nil, err
	}
	b, t, err := loadTeacher(r)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	train, valid, err := trainingData(r, t.Tokenizer)
	if err != nil {
		return nil, err
	}
	tokens := train.IDs
	data, err := corpus.NewSampler(tokens, r.Data.SeqLen, r.Training.BatchSize, uint64(r.Training.Seed))
	if err != nil {
		return nil, fmt.Errorf("pipeline: train: %s: %w", r.Data.Train, err)
	}
	s := r.Student
	cfg, layers, err := student.Resolve(t.Config, s.Shape())
	if err != nil {
		return nil, err
	}
	if h := r.Distillation.Hidden; h != nil {
		o.Hidden = hiddenOptions(h, layers)
	}
	if sl := r.Distillation.SoftLabels; sl.Mode == recipe.SoftCached && o.Hidden == nil && o.Loss.Alpha > 0 {
		want, err := student.TeacherIdentity(string(r.Teacher.Path), t.Tokenizer, env.Manifest.hashFile)
		if err != nil {
			return nil, err
		}
		want.K, want.SeqLen, want.Temperature, want.TokensHash = sl.TopK, r.Data.SeqLen, float32(r.Distillation.Temperature), student.HashTokens(tokens)
		cache, err := student.OpenSoftLabels(string(sl.CacheDir), want)
		if err != nil {
			return nil, err
		}
		defer cache.Close()
		o.Cache = cache
	}
	info, err := checkpoint.Inspect(string(r.Teacher.Path))
	if err != nil {
		return nil, err
	}
	mem := student.EstimateMemory(&t.Config, float64(info.TotalBytes)/float64(max(info.NumParams, 1)), cfg, o, r.Training.BatchSize, r.Data.SeqLen)
	if err := mem.Check(r.Training.MemoryBudget()); err != nil {
		return nil, err
	}

	ckpt := env.Path(CheckpointDir)
	metrics := env.Path(TrainMetricsFile)
	o.CheckpointDir = ckpt
	resume := env.Resume && exists(filepath.Join(ckpt, student.FileState))
	var tr *student.Trainer
	if resume {
		step, err := checkpointStep(ckpt)
		if err != nil {
			return nil, err
		}
		if err := trimMetrics(metrics, step); err != nil {
			return nil, err
		}
		fmt.Fprintf(env.Log, "train     resuming from step %d\n", step)
	} else if err := os.Remove(metrics); err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("pipeline: train: %w", err)
	}
	mf, err := os.OpenFile(metrics, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("pipeline: train: %w", err)
	}
	defer mf.Close()
	o.Metrics = mf
	kept, err := ReadMetrics(metrics)
	if err != nil {
		return nil, err
	}
	tb, err := openEvents(env.Path(TensorBoardDir), kept)
	if err != nil {
		return nil, err
	}
	defer tb.Close()

	val := limitTargets(valid, valTokens)
	eo := eval.Options{Context: min(r.Data.SeqLen, t.Config.MaxSeqLen)}
	var teacherPPL float64
	if res, err := eval.Perplexity(t.Model, val, eo); err == nil {
		teacherPPL = res.PPL
	}
	enc := json.NewEncoder(mf)
	var logErr error // the first failure to log; OnStep cannot return it
	o.OnStep = func(m student.Metrics) {
		logErr = cmp.Or(logErr, tb.log(m))
		if m.Step%r.Training.EvalEvery != 0 && m.Step != o.Steps {
			return
		}
		res, err := eval.Perplexity(tr.Student, val, eo)
		if err != nil {
			fmt.Fprintf(env.Log, "train     step %d: validation: %v\n", m.Step, err)
			return
		}
		row := map[string]any{"step": m.Step, "val_ppl": res.PPL, "teacher_ppl": teacherPPL}
		logErr = cmp.Or(logErr, enc.Encode(row), tb.log(row))
		fmt.Fprintf(env.Log, "train     step %d/%d loss %.4f lr %.3g val ppl %.3f (teacher %.3f)\n", m.Step, o.Steps, m.Loss, m.LR, res.PPL, teacherPPL)
	}
	if resume {
		tr, err = student.Resume(ckpt, b, t.Model, data, o)
	} else {
		var master *model.ParamBlock
		master, err = buildStudent(r, b, cfg, t.Model, layers, tokens)
		if err == nil {
			tr, err = student.NewTrainer(b, t.Model, master, data, o)
		}
	}
	if err != nil {
		return nil, err
	}
	if err := cmp.Or(tr.Run(ctx), logErr); err != nil {
		return nil, err
	}
	if err := mf.Sync(); err != nil {
		return nil, fmt.Errorf("pipeline: train: %w", err)
	}
	if err := tb.Close(); err != nil {
		return nil, err
	}
	return []string{StudentModel, StudentConfig, TrainMetricsFile, env.Rel(tb.w.Path())}, nil
}

// checkpointStep reads the step of the checkpoint in dir.
func checkpointStep(dir string) (int, error) {
	var st struct {
		Step int `json:"step"`
	}
	if _, err := readJSON(filepath.Join(dir, student.FileState), &st); err != nil {
		return 0, err
	}
	return st.Step, nil
}

// trimMetrics rewrites the metrics file keeping the complete lines of steps
// up to step: those after the checkpoint are written again when training
// repeats them.
func trimMetrics(path string, step int) error {
	rows, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pipeline: train: %w", err)
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		for _, line := range splitLines(rows) {
			var s struct {
				Step *int `json:"step"`
			}
			if json.Unmarshal(line, &s) != nil || s.Step == nil || *s.Step > step {
				continue
			}
			if _, err := w.Write(append(line, '\n')); err != nil {
				return err
			}
		}
		return nil
	})
}

// hiddenOptions maps distillation.hidden; without a layer map each student
// layer is paired with the teacher layer it was copied from.
func hiddenOptions(h *recipe.Hidden, layers []int) *student.HiddenOptions {
	o := &student.HiddenOptions{Kind: kernels.HiddenMSE, Weight: h.Weight}
	if h.Loss == "cosine" {
		o.Kind = kernels.HiddenCosine
	}
	for _, p := range h.LayerMap {
		o.Pairs = append(o.Pairs, [2]int{p.Student, p.Teacher})
	}
	if len(h.LayerMap) == 0 {
		for i, l := range layers {
			o.Pairs = append(o.Pairs, [2]int{i, l})
		}
	}
	return o
}

// buildStudent initialises the student's master weights as student.init
// says; importance by activations scores heads and channels on
// calibration_batches batches of the training data (a sampler of its own,
// so the training order is unchanged).
func buildStudent(r *recipe.Recipe, b kernels.Backend, cfg model.Config, t *model.Model, layers []int, tokens []int32) (*model.ParamBlock, error) {
	s := r.Student
	if s.Init == recipe.InitImportance && s.Importance == "activations" {
		calib, err := corpus.NewSampler(tokens, r.Data.SeqLen, r.Training.BatchSize, uint64(r.Training.Seed)+1)
		if err != nil {
			return nil, err
		}
		return student.BuildImportance(b, cfg, t, layers, calib, s.CalibrationBatches)
	}
	return student.Build(b, cfg, t, layers, s.Init, uint64(r.Training.Seed))
}
