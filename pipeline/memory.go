package pipeline

import (
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
