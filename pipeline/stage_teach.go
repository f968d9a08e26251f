package pipeline

import (
	"context"
	"path/filepath"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/recipe"
	"github.com/distill-dev/distill/student"
)

// Teach checks the teacher checkpoint (header and every tensor's shape,
// without loading weights) and records what later stages and the report
// need in teach/teacher.json. With distillation.soft_labels.mode cached it
// also runs the teacher once over the training data and writes its top-k
// log-probabilities to the soft-label cache (student.Teach), which resumes
// shard by shard when interrupted.
type Teach struct{}

// TeacherRecord is teach/teacher.json.
type TeacherRecord struct {
	Path   string       `json:"path"`
	Format string       `json:"format"`
	Config model.Config `json:"config"`
	Params int64        `json:"params"`
	Bytes  int64        `json:"bytes"`
}

// shardBytes is the target size of one soft-label shard.
const shardBytes = 64 << 20

func (Teach) Name() string { return StageTeach }

func (Teach) Inputs(r *recipe.Recipe) Inputs {
	in := Inputs{Sections: []string{"teacher"}, Files: teacherFiles(r)}
	if cached(r) {
		in.Sections = append(in.Sections, "data", "distillation")
		in.Files = append(in.Files, string(r.Data.Train))
	}
	return in
}

// cached reports whether the train stage reads a soft-label cache.
func cached(r *recipe.Recipe) bool {
	d := r.Distillation
	return d.SoftLabels.Mode == recipe.SoftCached && d.Hidden == nil && d.Loss != recipe.LossCE && !(d.Loss == recipe.LossMix && d.Alpha == 0)
}

func (Teach) Run(ctx context.Context, env *Env) ([]string, error) {
	r := env.Recipe
	info, err := checkpoint.Inspect(string(r.Teacher.Path))
	if err != nil {
		return nil, err
	}
	ti := TeacherRecord{Path: info.Path, Format: info.Format, Config: info.Config, Params: int64(info.NumParams), Bytes: info.TotalBytes}
	if err := writeJSON(env.Path(teacherInfoFile), ti); err != nil {
		return nil, err
	}
	outs := []string{teacherInfoFile}
	if !cached(r) {
		return outs, nil
	}
	_, t, err := loadTeacher(r)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	train, _, err := trainingData(r, t.Tokenizer)
	if err != nil {
		return nil, err
	}
	tokens := train.IDs
	sl := r.Distillation.SoftLabels
	want, err := student.TeacherIdentity(string(r.Teacher.Path), t.Tokenizer, env.Manifest.hashFile)
	if err != nil {
		return nil, err
	}
	want.K, want.SeqLen, want.Temperature = sl.TopK, r.Data.SeqLen, float32(r.Distillation.Temperature)
	want.ShardWindows = max(1, shardBytes/(r.Data.SeqLen*sl.TopK*6))
	m, err := student.Teach(ctx, string(sl.CacheDir), t.Model, tokens, r.Training.BatchSize, want)
	if err != nil {
		return nil, err
	}
	dir := string(sl.CacheDir)
	outs = append(outs, env.Rel(filepath.Join(dir, student.ManifestFile)))
	for _, s := range m.Shards {
		outs = append(outs, env.Rel(filepath.Join(dir, s.File)))
	}
	return outs, nil
}
