package student

import (
	"fmt"
	"math"

	"github.com/distill-dev/distill/checkpoint/safetensors"
	"github.com/distill-dev/distill/corpus"
)

// check validates a trainer state read from a checkpoint file, against the
// file's own master tensor and the sampler it will drive, before Resume
// allocates anything from it: a hand-edited or corrupted state must end in
// an error naming the field, not in an allocation of a 2^20-wide model or a
// panic several steps later.
func (st *trainerState) check(path string, f *safetensors.File, data *corpus.Sampler) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("student: resume: %s: trainer state: %s", path, fmt.Sprintf(format, args...))
	}
	if err := st.Config.Validate(); err != nil {
		return bad("config: %v", err)
	}
	master, err := f.Tensor("master")
	if err != nil {
		return fmt.Errorf("student: resume: %w", err)
	}
	if n := st.Config.NumParams(); len(master.Shape) != 1 || master.Shape[0] != n {
		return bad("config %v has %d parameters but the master tensor is %v", st.Config, n, master.Shape)
	}
	switch {
	case st.Step < 0:
		return bad("step %d is negative", st.Step)
	case st.Epoch < 0:
		return bad("data_epoch %d is negative", st.Epoch)
	case st.Pos < 0 || st.Pos > data.Windows():
		return bad("data_pos %d outside [0, %d] (the data's windows)", st.Pos, data.Windows())
	case !(st.Scale > 0) || math.IsInf(st.Scale, 0):
		return bad("loss_scale %g must be a finite number > 0", st.Scale)
	case st.GoodSteps < 0 || st.Skipped < 0 || st.Tokens < 0:
		return bad("good_steps %d, skipped %d and tokens %d must be >= 0", st.GoodSteps, st.Skipped, st.Tokens)
	case st.Batches < 0 || st.OnPolicyBatches < 0 || st.OnPolicyBatches > st.Batches:
		return bad("batches %d and on_policy_batches %d must be >= 0, the second at most the first", st.Batches, st.OnPolicyBatches)
	}
	return nil
}
