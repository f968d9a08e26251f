package recipe

import (
	"fmt"

	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/student"
)

// TeacherInfo is what validation needs to know about the teacher; the
// runner fills it from the checkpoint header and the tokenizer.
type TeacherInfo struct {
	Config         model.Config // the teacher's shape, from its header
	TokenizerVocab int          // tokens the tokenizer produces; 0 when unknown
}

// Shape maps the student section onto the trainer's student.Shape.
func (s *Student) Shape() student.Shape {
	return student.Shape{EveryK: s.EveryK, Layers: s.Layers, NLayers: s.NLayers,
		Dim: s.Dim, NHeads: s.NHeads, NKVHeads: s.NKVHeads, HiddenDim: s.HiddenDim, Init: s.Init}
}

// Resolve is the student the trainer builds for this section against the
// teacher: its config and the teacher layer each of its layers comes from,
// from student.Resolve, which validation calls too (errors are
// *student.ShapeError; Validate reports them at their recipe lines).
func (s *Student) Resolve(t TeacherInfo) (model.Config, []int, error) {
	return student.Resolve(t.Config, s.Shape())
}

// checkTeacher checks the student, data and soft labels against the
// teacher's shape.
func (r *Recipe) checkTeacher(errs *errorList, load func(Teacher) (TeacherInfo, error)) {
	t, err := load(r.Teacher)
	if err != nil {
		r.bad(errs, "teacher.path", "cannot read the teacher: %v", err)
		return
	}
	s := &r.Student
	tc := t.Config
	_, layers, err := s.Resolve(t)
	for _, e := range student.ShapeErrors(err) {
		field := "student"
		if e.Setting != "" {
			field += "." + e.Setting
		}
		if !errs.has(field) { // one error per setting: checkStudent may have found it
			r.bad(errs, field, "%s", e.Msg)
		}
	}
	if t.TokenizerVocab > tc.VocabSize {
		field := "teacher.path"
		if r.Teacher.Tokenizer != "" {
			field = "teacher.tokenizer"
		}
		r.bad(errs, field, "the tokenizer has %d tokens but the teacher's vocabulary has %d", t.TokenizerVocab, tc.VocabSize)
	}
	if sl := r.Distillation.SoftLabels; sl.Mode == SoftCached && sl.TopK > tc.VocabSize {
		r.bad(errs, "distillation.soft_labels.top_k", "%d is larger than the teacher's vocabulary %d", sl.TopK, tc.VocabSize)
	}
	if tc.MaxSeqLen > 0 {
		if r.Data.SeqLen > tc.MaxSeqLen {
			r.bad(errs, "data.seq_len", "%d is longer than the teacher's context %d", r.Data.SeqLen, tc.MaxSeqLen)
		}
		if r.IsSet("evaluation.context") && r.Evaluation.Context > tc.MaxSeqLen {
			r.bad(errs, "evaluation.context", "%d is longer than the teacher's context %d", r.Evaluation.Context, tc.MaxSeqLen)
		}
	}
	if h := r.Distillation.Hidden; h != nil {
		for i, p := range h.LayerMap {
			f := fmt.Sprintf("distillation.hidden.layer_map[%d]", i)
			if err == nil && p.Student >= len(layers) {
				r.bad(errs, f+".student", "layer %d out of range for the student's %d layers", p.Student, len(layers))
			}
			if p.Teacher >= tc.NLayers {
				r.bad(errs, f+".teacher", "layer %d out of range for the teacher's %d layers", p.Teacher, tc.NLayers)
			}
		}
	}
}
