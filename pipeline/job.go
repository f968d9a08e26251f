package pipeline

import (
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/recipe"
	"github.com/distill-dev/distill/student"
)

// trainJob is the recipe's student.Job, what the teach and train stages
// run (distill train and teach fill the same Job from flags). hashFile
// hashes the teacher's files (the manifest's cached hasher; nil: uncached).
// The stages set the run-directory paths.
func trainJob(r *recipe.Recipe, hashFile func(string) (string, error)) (*student.Job, error) {
	o, err := trainOptions(r)
	if err != nil {
		return nil, err
	}
	s := &r.Student
	j := &student.Job{
		Teacher: string(r.Teacher.Path), Tokenizer: string(r.Teacher.Tokenizer), StudentTokenizer: string(s.Tokenizer),
		Data: r.Data.Split(), SeqLen: r.Data.SeqLen, Batch: r.Training.BatchSize, Seed: uint64(r.Training.Seed),
		Shape: s.Shape(), WeightImportance: s.Importance == "weights", CalibrationBatches: s.CalibrationBatches,
		Options: o, MemoryLimit: r.Training.MemoryBudget(), HashFile: hashFile,
	}
	if sl := r.Distillation.SoftLabels; sl != nil && sl.Mode == recipe.SoftCached {
		j.SoftLabels, j.Options.TopK = string(sl.CacheDir), sl.TopK
	}
	return j, nil
}

// EstimateMemory estimates the memory of the train stage from the teacher's
// header (no weights are loaded) and the student's shape: the job's
// student.Job.Estimate, which the train stage checks against
// training.memory_limit (distill run --dry-run prints it).
func EstimateMemory(r *recipe.Recipe) (student.Memory, error) {
	j, err := trainJob(r, nil)
	if err != nil {
		return student.Memory{}, err
	}
	m, _, _, err := j.Estimate()
	return m, err
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
	kind, err := student.ParseDivergence(div)
	if err != nil {
		return o, r.Errorf("distillation.divergence", "%v", err)
	}
	o.Loss = kernels.LossParams{Divergence: kind, Temperature: float32(d.Temperature), Alpha: float32(alpha), Beta: float32(d.Beta)}
	if h := d.Hidden; h != nil {
		hk, err := student.ParseHiddenLoss(h.Loss)
		if err != nil {
			return o, r.Errorf("distillation.hidden.loss", "%v", err)
		}
		o.Hidden = &student.HiddenOptions{Kind: hk, Weight: h.Weight}
		for _, p := range h.LayerMap { // none: each student layer with the teacher layer it came from
			o.Hidden.Pairs = append(o.Hidden.Pairs, [2]int{p.Student, p.Teacher})
		}
	}
	if q := d.QAD; q != nil {
		o.QAD, o.QADSteps = q.Type, q.Steps
	}
	if op := d.OnPolicy; op != nil {
		o.OnPolicy = &student.OnPolicyOptions{Lambda: op.Lambda, MaxNewTokens: op.MaxNewTokens, Temperature: op.Temperature}
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
