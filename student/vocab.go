package student

import (
	"fmt"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/tokenizer"
)

// checkStudentTokenizer refuses, before any weight is loaded, a student
// tokenizer that is not the teacher's (checkpoint.CompareTokenizers names
// both and the first token that differs): distillation compares the two
// models' distributions id by id. Padding rows are CheckVocab's concern.
func (j *Job) checkStudentTokenizer() error {
	if j.StudentTokenizer == "" {
		return nil
	}
	teacher, err := checkpoint.LoadTokenizer(j.Teacher, checkpoint.LoadOptions{Tokenizer: j.Tokenizer})
	if err != nil {
		return err
	}
	if teacher == nil {
		return fmt.Errorf("student: %s: no tokenizer found beside the teacher to compare the student's %s with; name one", j.Teacher, j.StudentTokenizer)
	}
	student, err := tokenizer.Load(j.StudentTokenizer)
	if err != nil {
		return fmt.Errorf("student: student tokenizer: %w", err)
	}
	teacherName := j.Tokenizer
	if teacherName == "" {
		teacherName = "of teacher " + j.Teacher
	}
	if err := checkpoint.CompareTokenizers(teacherName, teacher, j.StudentTokenizer, student); err != nil {
		return fmt.Errorf("student: the student's tokenizer must be the teacher's: %w", err)
	}
	return nil
}

// PadLogit is the teacher logit given to a student's padding row (an id at
// or beyond the teacher's vocabulary, which the tokenizer never produces):
// far enough below any real logit that its teacher probability is 0 in
// float32 (exp(-1e4 / T) underflows for any T < 100), yet finite, so that
// p log p stays 0 and reverse KL and JSD stay finite while pushing the
// student's mass on padding ids towards 0.
const PadLogit = -1e4

// padLogits returns the teacher logits tl ([N, V_t]) in the student's
// vocabulary of V_s columns: the shared first min(V_t, V_s) columns copied,
// the student's padding columns (V_s > V_t) set to PadLogit, the teacher's
// padding columns (V_t > V_s) dropped, which renormalises the teacher over
// the ids the tokenizer can produce. CheckVocab has made sure every
// differing row is padding. The copy stays on the device, a row at a time.
func (t *Trainer) padLogits(tl kernels.Tensor) kernels.Tensor {
	b := t.b
	N, Vt, Vs := tl.Shape()[0], tl.Shape()[1], t.Config.VocabSize
	if t.padded == nil || t.padded.Shape()[0] != N {
		if t.padded != nil {
			b.Free(t.padded)
		}
		t.padded = b.Zeros(kernels.F32, N, Vs)
	}
	shared := min(Vt, Vs)
	src, dst := b.Reshape(tl, N*Vt), b.Reshape(t.padded, N*Vs)
	for n := range N {
		b.Copy(b.View(dst, n*Vs, n*Vs+shared), b.View(src, n*Vt, n*Vt+shared))
		if Vs > shared {
			b.Fill(b.View(dst, n*Vs+shared, (n+1)*Vs), PadLogit)
		}
	}
	return t.padded
}
