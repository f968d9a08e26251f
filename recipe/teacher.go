package recipe

import (
	"fmt"
	"math"
)

// TeacherInfo is what validation needs to know about the teacher; the
// runner fills it from the checkpoint header (model.Config) and the
// tokenizer. It is defined here so that recipe does not import the model
// packages.
type TeacherInfo struct {
	NLayers, Dim, NHeads, NKVHeads, HiddenDim int
	VocabSize                                 int  // rows of the embedding table
	MaxSeqLen                                 int  // context length; 0 when unknown
	TiedEmbeddings                            bool // the classifier reuses the embedding
	TokenizerVocab                            int  // tokens the tokenizer produces; 0 when unknown
}

// Shape is a resolved student: the teacher layers it keeps and its widths.
type Shape struct {
	Layers                           []int // teacher layer index of each student layer
	Dim, NHeads, NKVHeads, HiddenDim int
	VocabSize                        int
	TiedEmbeddings                   bool
}

// Params is the parameter count of a Llama-style model of this shape
// (attention, SwiGLU FFN, RMSNorms, embedding, classifier unless tied).
func (s Shape) Params() int64 {
	return llamaParams(len(s.Layers), s.Dim, s.NHeads, s.NKVHeads, s.HiddenDim, s.VocabSize, s.TiedEmbeddings)
}

// Params is the teacher's parameter count, computed as Shape.Params does.
func (t TeacherInfo) Params() int64 {
	return llamaParams(t.NLayers, t.Dim, t.NHeads, t.NKVHeads, t.HiddenDim, t.VocabSize, t.TiedEmbeddings)
}

func llamaParams(layers, dim, heads, kv, hidden, vocab int, tied bool) int64 {
	if heads == 0 {
		return 0
	}
	C, F, V := int64(dim), int64(hidden), int64(vocab)
	KV := int64(kv) * C / int64(heads)
	perLayer := 2*C*C + 2*C*KV + 3*C*F + 2*C
	n := int64(layers)*perLayer + V*C + C
	if !tied {
		n += V * C
	}
	return n
}

// Resolve fills the student's shape from the teacher: zero widths become
// the teacher's, the depth settings become teacher layer indices. It does
// not check anything (Validate does); out-of-range layers are kept as given.
func (s *Student) Resolve(t TeacherInfo) Shape {
	sh := Shape{Dim: s.Dim, NHeads: s.NHeads, NKVHeads: s.NKVHeads, HiddenDim: s.HiddenDim,
		VocabSize: t.VocabSize, TiedEmbeddings: t.TiedEmbeddings}
	if sh.Dim == 0 {
		sh.Dim = t.Dim
	}
	if sh.HiddenDim == 0 {
		sh.HiddenDim = t.HiddenDim
	}
	switch {
	case sh.NHeads == 0:
		sh.NHeads = t.NHeads
		if sh.NKVHeads == 0 {
			sh.NKVHeads = t.NKVHeads
		}
	case sh.NKVHeads == 0:
		// The most KV heads, up to the teacher's, that group the new query
		// heads evenly (so importance slicing can keep whole KV heads).
		sh.NKVHeads = 1
		for kv := min(sh.NHeads, max(t.NKVHeads, 1)); kv > 1; kv-- {
			if sh.NHeads%kv == 0 {
				sh.NKVHeads = kv
				break
			}
		}
	}
	L := t.NLayers
	switch {
	case len(s.Layers) > 0:
		sh.Layers = append([]int(nil), s.Layers...)
	case s.EveryK > 0:
		for l := s.EveryK - 1; l < L; l += s.EveryK {
			sh.Layers = append(sh.Layers, l)
		}
	case s.NLayers == 1:
		sh.Layers = []int{L - 1}
	case s.NLayers > 1:
		for i := range s.NLayers {
			sh.Layers = append(sh.Layers, int(math.Round(float64(i*(L-1))/float64(s.NLayers-1))))
		}
	default:
		for l := range L {
			sh.Layers = append(sh.Layers, l)
		}
	}
	return sh
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
	L := t.NLayers
	switch {
	case s.EveryK > L:
		r.bad(errs, "student.every_k", "%d selects no layer of the teacher's %d", s.EveryK, L)
	case s.NLayers > L:
		r.bad(errs, "student.n_layers", "%d is more than the teacher's %d layers", s.NLayers, L)
	}
	for i, l := range s.Layers {
		if l >= L {
			r.bad(errs, fmt.Sprintf("student.layers[%d]", i), "layer %d out of range for the teacher's %d layers (0..%d)", l, L, L-1)
		}
	}
	sh := s.Resolve(t)
	for _, w := range []struct {
		key          string
		given, resol int
		teacher      int
	}{
		{"dim", s.Dim, sh.Dim, t.Dim},
		{"n_heads", s.NHeads, sh.NHeads, t.NHeads},
		{"n_kv_heads", s.NKVHeads, sh.NKVHeads, t.NKVHeads},
		{"hidden_dim", s.HiddenDim, sh.HiddenDim, t.HiddenDim},
	} {
		field := "student." + w.key
		if w.given < 0 {
			continue // already reported
		}
		switch {
		case w.resol > w.teacher:
			r.bad(errs, field, "%d is larger than the teacher's %d", w.resol, w.teacher)
		case w.given != 0 && w.given != w.teacher && s.Init == InitTeacherLayers:
			r.bad(errs, field, "%d differs from the teacher's %d: init teacher_layers copies whole layers (use init importance or random)", w.given, w.teacher)
		}
	}
	// Widths left to the teacher can still clash with ones given; pairs
	// given in full were checked by checkStudent already.
	chk := Shape{Dim: sh.Dim, NHeads: sh.NHeads, NKVHeads: sh.NKVHeads}
	if s.Dim > 0 && s.NHeads > 0 {
		chk.Dim = 0
	}
	if s.NHeads > 0 && s.NKVHeads > 0 {
		chk.NKVHeads = 0
	}
	r.checkShape(errs, chk)
	if t.TokenizerVocab > t.VocabSize {
		field := "teacher.path"
		if r.Teacher.Tokenizer != "" {
			field = "teacher.tokenizer"
		}
		r.bad(errs, field, "the tokenizer has %d tokens but the teacher's vocabulary has %d", t.TokenizerVocab, t.VocabSize)
	}
	if sl := r.Distillation.SoftLabels; sl.Mode == SoftCached && sl.TopK > t.VocabSize {
		r.bad(errs, "distillation.soft_labels.top_k", "%d is larger than the teacher's vocabulary %d", sl.TopK, t.VocabSize)
	}
	if t.MaxSeqLen > 0 {
		if r.Data.SeqLen > t.MaxSeqLen {
			r.bad(errs, "data.seq_len", "%d is longer than the teacher's context %d", r.Data.SeqLen, t.MaxSeqLen)
		}
		if r.IsSet("evaluation.context") && r.Evaluation.Context > t.MaxSeqLen {
			r.bad(errs, "evaluation.context", "%d is longer than the teacher's context %d", r.Evaluation.Context, t.MaxSeqLen)
		}
	}
	if h := r.Distillation.Hidden; h != nil {
		for i, p := range h.LayerMap {
			f := fmt.Sprintf("distillation.hidden.layer_map[%d]", i)
			if p.Student >= len(sh.Layers) {
				r.bad(errs, f+".student", "layer %d out of range for the student's %d layers", p.Student, len(sh.Layers))
			}
			if p.Teacher >= L {
				r.bad(errs, f+".teacher", "layer %d out of range for the teacher's %d layers", p.Teacher, L)
			}
		}
	}
}
