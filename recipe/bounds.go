package recipe

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/distill-dev/distill/internal/sysmem"
	"github.com/distill-dev/distill/kernels"
)

// Limits on products of recipe integers. Each count is checked against
// its own bounds by the struct tags; these catch the combinations that
// overflow int64 (a negative memory estimate or step count) or describe a
// run that would never end (grad_accum: 2^62 passes every per-field check).
const (
	MaxTokensPerBatch = 1 << 32 // batch_size x seq_len: one micro-batch's activations
	MaxTokensPerStep  = 1 << 40 // x grad_accum
	MaxSteps          = 1 << 31 // optimizer steps, given or derived from tokens
	MaxCalibTokens    = 1 << 40 // calibration batches or samples x their length
)

// MulCheck returns the product of non-negative xs and whether it fits in
// an int64 (false for a negative factor too).
func MulCheck(xs ...int64) (int64, bool) {
	p := uint64(1)
	for _, x := range xs {
		if x < 0 {
			return 0, false
		}
		hi, lo := bits.Mul64(p, uint64(x))
		if hi != 0 || lo > math.MaxInt64 {
			return 0, false
		}
		p = lo
	}
	return int64(p), true
}

// SizeError is a training size whose product with the others is out of
// range; Field is the setting to change (batch_size, grad_accum or steps,
// as CheckTrainingSize's arguments are named).
type SizeError struct {
	Field string
	Msg   string
}

func (e *SizeError) Error() string { return e.Field + ": " + e.Msg }

// CheckTrainingSize checks the products of a run's sizes: batch x seqLen
// tokens per micro-batch, x gradAccum per step, steps x that in all. The
// recipe and the train command's flags both use it.
func CheckTrainingSize(batch, seqLen, gradAccum, steps int64) *SizeError {
	perBatch, ok := MulCheck(batch, seqLen)
	if !ok || perBatch > MaxTokensPerBatch {
		return &SizeError{"batch_size", fmt.Sprintf("%d sequences of %d tokens per micro-batch exceed %d tokens", batch, seqLen, int64(MaxTokensPerBatch))}
	}
	perStep, ok := MulCheck(perBatch, gradAccum)
	if !ok || perStep > MaxTokensPerStep {
		return &SizeError{"grad_accum", fmt.Sprintf("%d micro-batches of %d tokens per step exceed %d tokens", gradAccum, perBatch, int64(MaxTokensPerStep))}
	}
	if steps > MaxSteps {
		return &SizeError{"steps", fmt.Sprintf("%d optimizer steps are more than %d", steps, int64(MaxSteps))}
	}
	if _, ok := MulCheck(steps, perStep); !ok {
		return &SizeError{"steps", fmt.Sprintf("%d steps of %d tokens overflow", steps, perStep)}
	}
	return nil
}

// checkProducts reports products of training, calibration and thread
// settings that are out of range.
func (r *Recipe) checkProducts(errs *errorList) {
	t := &r.Training
	if err := kernels.CheckThreads("threads", t.Threads); err != nil {
		r.bad(errs, "training.threads", "%v", err)
	}
	if t.BF16Matmul && t.Device != "cpu" {
		r.bad(errs, "training.bf16_matmul", "only the cpu device has it, not %q (remove bf16_matmul or set device: cpu)", t.Device)
	}
	steps := r.steps64()
	if e := CheckTrainingSize(int64(t.BatchSize), int64(r.Data.SeqLen), int64(t.GradAccum), steps); e != nil {
		field := "training." + e.Field
		if e.Field == "steps" && t.Tokens > 0 {
			field = "training.tokens"
		}
		r.bad(errs, field, "%s", e.Msg)
		return
	}
	perBatch := int64(t.BatchSize) * int64(r.Data.SeqLen)
	if s := r.Student; s.Init == InitImportance {
		if n, ok := MulCheck(int64(s.CalibrationBatches), perBatch); !ok || n > MaxCalibTokens {
			r.bad(errs, "student.calibration_batches", "%d batches of %d tokens exceed %d calibration tokens", s.CalibrationBatches, perBatch, int64(MaxCalibTokens))
		}
	}
	if q := r.Quantization; q != nil {
		for i, m := range q.Methods {
			if n, ok := MulCheck(int64(m.CalibrationSamples), int64(r.Data.SeqLen)); m.Calibrated() && (!ok || n > MaxCalibTokens) {
				r.bad(errs, fmt.Sprintf("quantization.methods[%d].calibration_samples", i), "%d samples of %d tokens exceed %d calibration tokens", m.CalibrationSamples, r.Data.SeqLen, int64(MaxCalibTokens))
			}
		}
	}
}

// steps64 is Steps without the int conversion: training.steps, or
// training.tokens over the tokens of one step rounded up (0 when a step's
// tokens overflow; checkProducts reports that).
func (r *Recipe) steps64() int64 {
	t := &r.Training
	if t.Steps > 0 || t.Tokens <= 0 {
		return int64(t.Steps)
	}
	per, ok := MulCheck(int64(t.BatchSize), int64(t.GradAccum), int64(r.Data.SeqLen))
	if !ok || per <= 0 {
		return 0
	}
	n := t.Tokens / per
	if t.Tokens%per != 0 {
		n++
	}
	return n
}

// MemoryBudget is the memory the train stage may plan for: memory_limit
// when given, else what this machine (or its cgroup) has; 0 when neither
// is known.
func (t *Training) MemoryBudget() int64 {
	if t.MemoryLimit > 0 {
		return int64(t.MemoryLimit)
	}
	return sysmem.Limit()
}
