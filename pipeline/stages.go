package pipeline

import (
	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/recipe"
)

// Stages returns the recipe's pipeline: teach, train, eval, quantize (when
// the recipe has a quantization section), export (when it lists exports)
// and report.
func Stages(r *recipe.Recipe) []Stage {
	s := []Stage{Teach{}, Train{}, Eval{}}
	if r.Quantization != nil && len(r.Quantization.Methods) > 0 {
		s = append(s, Quantize{})
	}
	if len(r.Export) > 0 {
		s = append(s, Export{})
	}
	return append(s, Report{})
}

// openBackend opens training.device with training.threads and
// training.bf16_matmul (kernels.OpenWith, as the CLI does).
func openBackend(r *recipe.Recipe) (kernels.Backend, error) {
	b, err := kernels.OpenWith(r.Training.Device, kernels.OpenOptions{Threads: r.Training.Threads, BF16Matmul: r.Training.BF16Matmul})
	if err != nil {
		return nil, r.Errorf("training.device", "%v", err)
	}
	return b, nil
}

// teacherFiles are the teacher checkpoint and, when given, its tokenizer.
func teacherFiles(r *recipe.Recipe) []string {
	f := []string{string(r.Teacher.Path)}
	if r.Teacher.Tokenizer != "" {
		f = append(f, string(r.Teacher.Tokenizer))
	}
	return f
}

// loadTeacher opens the recipe's device and loads the teacher with its
// tokenizer (required: data are tokenised with it).
func loadTeacher(r *recipe.Recipe) (kernels.Backend, *checkpoint.Loaded, error) {
	b, err := openBackend(r)
	if err != nil {
		return nil, nil, err
	}
	t, err := checkpoint.Load(string(r.Teacher.Path), b, checkpoint.LoadOptions{Tokenizer: string(r.Teacher.Tokenizer)})
	if err != nil {
		return nil, nil, err
	}
	if t.Tokenizer == nil {
		t.Close()
		return nil, nil, r.Errorf("teacher.tokenizer", "no tokenizer found for %s", r.Teacher.Path)
	}
	return b, t, nil
}

// loadStudent loads the trained student (an HF checkpoint written by the
// train stage) onto b.
func loadStudent(env *Env, b kernels.Backend) (*checkpoint.Loaded, error) {
	return checkpoint.Load(env.Path(CheckpointDir), b, checkpoint.LoadOptions{NoTokenizer: true})
}
