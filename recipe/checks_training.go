package recipe

import (
	"fmt"
	"reflect"
	"slices"
)

// checkQAD ties quantization-aware distillation to what the run writes: a
// QAD type that no export or quantization method produces trains a model
// nobody gets (an error); exports of other quantized types are allowed,
// with a warning, as they are not the model that was trained.
func (r *Recipe) checkQAD(errs *errorList) {
	q := r.Distillation.QAD
	if q != nil && q.Steps > 0 {
		if n := r.Steps(); n > 0 && q.Steps > n {
			r.bad(errs, "distillation.qad.steps", "%d is beyond the run's %d training steps (0 or absent: QAD over the whole run)", q.Steps, n)
		}
	}
	if q == nil || checkScalar(reflect.ValueOf(q.Type), reflect.TypeFor[QAD]().Field(0).Tag) != "" {
		return // unknown types are reported by checkTags
	}
	var written []string
	for _, e := range r.Export {
		written = append(written, e.DType)
	}
	written = append(written, r.methodLabels()...)
	if !slices.Contains(written, q.Type) {
		r.bad(errs, "distillation.qad.type", "%s: no export dtype or quantization method is %s, so the model QAD trains is never written; add {format: gguf, dtype: %s} to export or %s to quantization.methods",
			q.Type, q.Type, q.Type, q.Type)
	}
	for i, e := range r.Export {
		if e.DType != q.Type && !slices.Contains([]string{"f32", "f16", "bf16"}, e.DType) {
			r.warn(fmt.Sprintf("export[%d].dtype", i), fmt.Sprintf("%s is not the QAD type %s: that file is quantized after training, not the model QAD trained", e.DType, q.Type))
		}
	}
}

// warn records a warning at field once (Validate may run more than once).
func (r *Recipe) warn(field, msg string) {
	w := r.Errorf(field, "%s", msg)
	for _, old := range r.warnings {
		if old.Error() == w.Error() {
			return
		}
	}
	r.warnings = append(r.warnings, w)
}

// checkOnPolicy refuses on-policy settings the run cannot honour: a sample
// longer than the training windows, a cached teacher (it cannot score new
// samples) and hard labels only (no teacher runs).
func (r *Recipe) checkOnPolicy(errs *errorList) {
	d := &r.Distillation
	op := d.OnPolicy
	if op == nil {
		return
	}
	if op.MaxNewTokens > r.Data.SeqLen {
		r.bad(errs, "distillation.on_policy.max_new_tokens", "%d is beyond the training context data.seq_len %d (samples continue prompts cut from its windows)", op.MaxNewTokens, r.Data.SeqLen)
	}
	if sl := d.SoftLabels; sl != nil && sl.Mode == SoftCached {
		r.bad(errs, "distillation.on_policy", "needs the online teacher: cached soft labels cannot score the student's new samples (use soft_labels mode online)")
	}
	switch {
	case d.Loss == LossCE:
		r.bad(errs, "distillation.on_policy", "needs the teacher's distribution, which loss ce does not run")
	case d.Loss == LossMix && d.Alpha == 0:
		r.bad(errs, "distillation.on_policy", "needs the teacher's distribution, which loss mix with alpha 0 does not run")
	}
}
