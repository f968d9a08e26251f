package pipeline

import (
	"fmt"

	"github.com/distill-dev/distill/recipe"
	"github.com/distill-dev/distill/student"
)

// EstimateMemory estimates the memory of the train stage from the teacher's
// header (no weights are loaded) and the student's shape: the job's
// student.Job.Estimate, which the train stage checks against
// training.memory_limit.
func EstimateMemory(r *recipe.Recipe) (student.Memory, error) {
	j, err := trainJob(r, nil)
	if err != nil {
		return student.Memory{}, err
	}
	m, _, _, err := j.Estimate()
	return m, err
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
