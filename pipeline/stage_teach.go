package pipeline

import (
	"context"
	"path/filepath"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/internal/progress"
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

func (Teach) Name() string { return StageTeach }

func (Teach) Inputs(r *recipe.Recipe) Inputs {
	in := Inputs{Sections: []string{"teacher"}, Files: teacherFiles(r)}
	if j, err := trainJob(r, nil); err == nil && j.UsesCache() {
		in.Sections = append(in.Sections, "data", "distillation")
		in.Files = append(in.Files, string(r.Data.Train))
		if r.Training.BF16Matmul {
			// The soft labels are the teacher's bf16-rounded products.
			in.Settings = map[string]string{"training.bf16_matmul": "true"}
		}
	}
	return in
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
	j, err := trainJob(r, env.Manifest.hashFile)
	if err != nil {
		return nil, err
	}
	if !j.UsesCache() {
		return outs, nil
	}
	j.MemoryLimit = 0 // the training estimate: the train stage checks it
	b, err := openBackend(r)
	if err != nil {
		return nil, err
	}
	s, err := j.Open(b)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	var bar *progress.Bar
	m, err := s.Teach(ctx, func(done, total int) {
		if bar == nil {
			bar = env.Progress(int64(total), "shards")
		}
		bar.Set(int64(done))
	})
	if bar != nil {
		if err != nil {
			bar.Stop()
		} else {
			bar.Finish()
		}
	}
	if err != nil {
		return nil, err
	}
	outs = append(outs, env.Rel(filepath.Join(j.SoftLabels, student.ManifestFile)))
	for _, sh := range m.Shards {
		outs = append(outs, env.Rel(filepath.Join(j.SoftLabels, sh.File)))
	}
	return outs, nil
}
