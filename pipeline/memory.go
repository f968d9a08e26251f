package pipeline

import (
	"fmt"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/recipe"
	"github.com/distill-dev/distill/student"
)

// EstimateMemory estimates the memory of the train stage from the teacher's
// header (no weights are loaded) and the student's shape, with
// student.EstimateMemory: weights, gradients, AdamW moments, half copies,
// activations of one micro-batch and soft labels.
func EstimateMemory(r *recipe.Recipe) (student.Memory, error) {
	info, err := checkpoint.Inspect(string(r.Teacher.Path))
	if err != nil {
		return student.Memory{}, err
	}
	o, err := trainOptions(r)
	if err != nil {
		return student.Memory{}, err
	}
	s := r.Student
	cfg, _, err := student.Resolve(info.Config, s.Shape())
	if err != nil {
		return student.Memory{}, err
	}
	var tc = &info.Config
	if o.Loss.Alpha == 0 {
		tc = nil // hard labels only: the trainer does not run the teacher
	}
	perParam := float64(info.TotalBytes) / float64(max(info.NumParams, 1))
	return student.EstimateMemory(tc, perParam, cfg, o, r.Training.BatchSize, r.Data.SeqLen), nil
}

// human formats a byte count with binary units.
func human(b int64) string {
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%d B", b)
	}
	div, exp := int64(unit), 0
	for n := b / unit; n >= unit; n /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(b)/float64(div), "KMGTPE"[exp])
}
