package recipe

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
)

// File is the recipe file as given to Load or Parse.
func (r *Recipe) File() string { return r.file }

// Dir is the absolute folder of the recipe file, where relative paths
// resolve.
func (r *Recipe) Dir() string { return r.dir }

// IsSet reports whether field (a dotted path such as "training.steps" or
// "quantization.methods[0].group_size") was written in the file, as opposed
// to taking its default.
func (r *Recipe) IsSet(field string) bool {
	_, ok := r.pos[field]
	return ok
}

// Pos is the position of field in the file: of its value for scalars, of
// its key for sections and lists. A field that was not written gets the
// position of the nearest enclosing one that was, so errors about defaults
// still point somewhere useful.
func (r *Recipe) Pos(field string) Pos {
	for {
		if p, ok := r.pos[field]; ok {
			return p
		}
		if field == "" {
			return Pos{1, 1}
		}
		field = parent(field)
	}
}

// parent strips the last component of a field path: "a.b[2]" -> "a.b",
// "a.b" -> "a".
func parent(field string) string {
	if strings.HasSuffix(field, "]") {
		if i := strings.LastIndexByte(field, '['); i >= 0 {
			return field[:i]
		}
	}
	if i := strings.LastIndexByte(field, '.'); i >= 0 {
		return field[:i]
	}
	return ""
}

// Errorf makes an *Error at field's position, for problems the runner finds
// later (a soft-label cache made by another teacher, say) that still belong
// to a line of the recipe.
func (r *Recipe) Errorf(field, format string, args ...any) *Error {
	return &Error{File: r.file, Pos: r.Pos(field), Field: field, Msg: fmt.Sprintf(format, args...)}
}

// fillDerived sets the defaults that depend on other fields, so that after
// parsing every value the runner needs is explicit (and part of the
// canonical form that stage hashes are computed from).
func (r *Recipe) fillDerived() {
	r.canonicalBOS()
	if r.Name == "" {
		base := filepath.Base(r.file)
		r.Name = strings.TrimSuffix(base, filepath.Ext(base))
	}
	if r.Output == "" {
		r.Output = Path(filepath.Join(r.dir, "runs", r.Name))
	}
	e := &r.Evaluation
	if e.Data == "" {
		e.Data = r.Data.Validation
	}
	if e.Context == 0 {
		e.Context = r.Data.SeqLen
	}
	if e.Stride == 0 {
		e.Stride = e.Context
	}
	if r.Distillation.SoftLabels == nil {
		r.Distillation.SoftLabels = new(SoftLabels)
		applyDefaults(reflect.ValueOf(r.Distillation.SoftLabels).Elem())
	}
	if sl := r.Distillation.SoftLabels; sl.Mode == SoftCached && sl.CacheDir == "" {
		sl.CacheDir = Path(filepath.Join(string(r.Output), "soft_labels"))
	}
	if r.Training.Precision == PrecisionFP16 && r.Training.LossScale == nil {
		r.Training.LossScale = new(LossScale)
		applyDefaults(reflect.ValueOf(r.Training.LossScale).Elem())
	}
	if q := r.Quantization; q != nil {
		for i := range q.Methods {
			if q.Methods[i].Keep == nil {
				q.Methods[i].Keep = q.Keep
			}
		}
	}
}

// Steps is the number of optimizer steps: training.steps, or
// training.tokens divided by the tokens of one step, rounded up.
func (r *Recipe) Steps() int {
	n := r.steps64()
	if n > MaxSteps {
		return 0 // Validate reports it
	}
	return int(n)
}

// Label names a quantization method in reports and in gates.methods: the
// method, with "-asym" appended for asymmetric int4.
func (m Method) Label() string {
	switch {
	case m.Asymmetric:
		return m.Method + "-asym"
	case m.Method == MethodPlan && m.TargetKL > 0:
		return fmt.Sprintf("plan-kl%g", m.TargetKL)
	case m.Method == MethodPlan:
		return fmt.Sprintf("plan-ppl%g", m.TargetPPLDelta)
	case m.GPTQ:
		return "gptq-" + m.Method
	}
	return m.Method
}

// Calibrated reports whether the method reads quantization.calibration
// (gptq-int4, gptq: true, plan).
func (m Method) Calibrated() bool {
	return m.Method == MethodGPTQInt4 || m.GPTQ || m.Method == MethodPlan
}

// Canonical returns the JSON of the named top-level sections ("teacher",
// "training", ...; all of them when none is named) with every default
// applied and paths absolute, keys in a fixed order. Two recipes that mean
// the same thing for those sections give the same bytes however they were
// written (order, comments, defaults left out), so the runner hashes this to
// decide whether a stage's inputs changed. It panics on an unknown section
// name, a caller mistake.
func (r *Recipe) Canonical(sections ...string) ([]byte, error) {
	if len(sections) == 0 {
		return json.Marshal(r)
	}
	rv := reflect.ValueOf(r).Elem()
	fs := fieldsOf(rv.Type())
	var b strings.Builder
	b.WriteByte('{')
	for i, s := range sections {
		f, ok := lookupField(fs, s)
		if !ok {
			panic(fmt.Sprintf("recipe: Canonical: unknown section %q", s))
		}
		js, err := json.Marshal(rv.Field(f.index).Interface())
		if err != nil {
			return nil, fmt.Errorf("recipe: canonical %s: %w", s, err)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:%s", s, js)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// ForMethod returns the gates of the quantized student labelled label:
// quant_ppl_delta_max and size_max_mb from the top level, each replaced by
// the one in gates.methods[label] when that is set. Top-level
// student_ppl_max, ppl_ratio_max, kl_max and agreement_min gate the
// unquantized student only.
func (g *Gates) ForMethod(label string) MethodGates {
	if g == nil {
		return MethodGates{}
	}
	out := g.Methods[label]
	if out.QuantPPLDeltaMax == nil {
		out.QuantPPLDeltaMax = g.QuantPPLDeltaMax
	}
	if out.SizeMaxMB == nil {
		out.SizeMaxMB = g.SizeMaxMB
	}
	return out
}
