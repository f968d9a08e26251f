package recipe

import (
	"fmt"
	"path"
	"reflect"
	"slices"
	"strings"

	"github.com/distill-dev/distill/student"
)

// ValidateContext supplies what Validate cannot know from the recipe alone.
type ValidateContext struct {
	// Teacher reads the teacher's shape and tokenizer size (the runner
	// opens the checkpoint header and tokenizer). Nil skips the checks that
	// need it: layer indices, widths against the teacher, vocabulary.
	Teacher func(t Teacher) (TeacherInfo, error)
	// SkipFiles skips the checks that named files exist (for checking a
	// recipe written for another machine).
	SkipFiles bool
}

// Validate reports everything wrong with the recipe before any work starts:
// out-of-range numbers and unknown enum values, settings that contradict
// each other or have no effect, impossible student shapes, gates that
// reference nothing, missing files and, through ctx.Teacher, mismatches with
// the teacher. All problems are returned together as Errors, each with the
// recipe file and the line:column of the field at fault.
func (r *Recipe) Validate(ctx ValidateContext) error {
	errs := &errorList{file: r.file}
	r.checkTags(errs, reflect.ValueOf(r).Elem(), "")
	r.checkData(errs)
	r.checkStudent(errs)
	r.checkDistillation(errs)
	r.checkTraining(errs)
	r.checkProducts(errs)
	r.checkEvaluation(errs)
	r.checkQuantization(errs)
	r.checkCalibration(errs)
	r.checkExport(errs)
	r.checkQAD(errs)
	r.checkOnPolicy(errs)
	r.checkGates(errs)
	filesOK := true
	if !ctx.SkipFiles {
		filesOK = r.checkFiles(errs)
	}
	if ctx.Teacher != nil && filesOK {
		r.checkTeacher(errs, ctx.Teacher)
	}
	return errs.err()
}

// LoadAndValidate is Load followed by Validate, what `distill validate`
// runs.
func LoadAndValidate(path string, ctx ValidateContext) (*Recipe, error) {
	r, err := Load(path)
	if err != nil {
		return nil, err
	}
	if err := r.Validate(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// bad adds an error at field.
func (r *Recipe) bad(errs *errorList, field, format string, args ...any) {
	errs.add(r.Pos(field), field, format, args...)
}

// unused flags field when it was written although setting has no use for it.
func (r *Recipe) unused(errs *errorList, field string, used bool, when string) {
	if !used && r.IsSet(field) {
		r.bad(errs, field, "only used with %s", when)
	}
}

func (r *Recipe) checkData(errs *errorList) {
	d := &r.Data
	if d.Validation != "" && r.IsSet("data.validation_split") {
		r.bad(errs, "data.validation_split", "not used when data.validation is given")
	}
	r.unused(errs, "data.text_field", d.Format == DataJSONL, "format jsonl")
	r.unused(errs, "data.separator", d.Format == DataText, "format text")
	if d.Separator == "" {
		r.bad(errs, "data.separator", "must not be empty")
	}
	if d.TextField == "" {
		r.bad(errs, "data.text_field", "must not be empty")
	}
}

func (r *Recipe) checkStudent(errs *errorList) {
	s := &r.Student
	var depth []string
	for _, f := range []string{"every_k", "layers", "n_layers"} {
		if r.IsSet("student." + f) {
			depth = append(depth, f)
		}
	}
	if len(depth) > 1 {
		r.bad(errs, "student."+depth[1], "give only one of every_k, layers and n_layers (%s is set too)", depth[0])
	}
	if r.IsSet("student.layers") && len(s.Layers) == 0 {
		r.bad(errs, "student.layers", "must list at least one layer")
	}
	for i := 1; i < len(s.Layers); i++ {
		if s.Layers[i] <= s.Layers[i-1] {
			r.bad(errs, fmt.Sprintf("student.layers[%d]", i), "layer %d after %d: layers must be increasing", s.Layers[i], s.Layers[i-1])
		}
	}
	if r.IsSet("student.every_k") && s.EveryK == 0 {
		r.bad(errs, "student.every_k", "0 must be >= 1")
	}
	if r.IsSet("student.n_layers") && s.NLayers == 0 {
		r.bad(errs, "student.n_layers", "0 must be >= 1")
	}
	r.unused(errs, "student.importance", s.Init == InitImportance, "init importance")
	r.unused(errs, "student.calibration_batches", s.Init == InitImportance && s.Importance == "activations",
		"init importance and importance activations")
	// Shapes that are impossible whatever the teacher: checked on the
	// values given; checkTeacher repeats them with the teacher's filled in.
	r.checkShape(errs)
}

// checkShape reports widths the student section sets together that cannot
// go together (student.CheckGiven); checkTeacher checks the rest.
func (r *Recipe) checkShape(errs *errorList) {
	for _, e := range student.ShapeErrors(student.CheckGiven(r.Student.Shape())) {
		r.bad(errs, "student."+e.Setting, "%s", e.Msg)
	}
}

func (r *Recipe) checkDistillation(errs *errorList) {
	d := &r.Distillation
	r.unused(errs, "distillation.alpha", d.Loss == LossMix, "loss mix")
	r.unused(errs, "distillation.divergence", d.Loss == LossMix, "loss mix")
	r.unused(errs, "distillation.beta", d.Loss == LossJSD || (d.Loss == LossMix && d.Divergence == LossJSD),
		"loss jsd, or loss mix with divergence jsd")
	if d.Loss == LossCE && r.IsSet("distillation.temperature") {
		r.bad(errs, "distillation.temperature", "not used with loss ce")
	}
	if sl := d.SoftLabels; sl != nil {
		r.unused(errs, "distillation.soft_labels.top_k", sl.Mode == SoftCached, "mode cached")
		r.unused(errs, "distillation.soft_labels.cache_dir", sl.Mode == SoftCached, "mode cached")
	}
	if h := d.Hidden; h != nil {
		seen := map[int]bool{}
		for i, p := range h.LayerMap {
			if seen[p.Student] {
				r.bad(errs, fmt.Sprintf("distillation.hidden.layer_map[%d]", i), "student layer %d is mapped twice", p.Student)
			}
			seen[p.Student] = true
		}
	}
}

func (r *Recipe) checkTraining(errs *errorList) {
	t := &r.Training
	switch {
	case t.Steps > 0 && t.Tokens > 0:
		r.bad(errs, "training.tokens", "give only one of steps and tokens")
	case t.Steps == 0 && t.Tokens == 0:
		r.bad(errs, "training", "give steps or tokens (how long to train)")
	}
	if steps := r.Steps(); steps > 0 && t.Schedule.WarmupSteps >= steps {
		r.bad(errs, "training.schedule.warmup_steps", "%d is not less than the %d training steps", t.Schedule.WarmupSteps, steps)
	}
	r.unused(errs, "training.schedule.min_lr_ratio", t.Schedule.Kind != ScheduleConstant, "kind cosine or linear")
	r.unused(errs, "training.loss_scale", t.Precision == PrecisionFP16, "precision fp16")
}

func (r *Recipe) checkEvaluation(errs *errorList) {
	e := &r.Evaluation
	if len(e.Metrics) == 0 {
		r.bad(errs, "evaluation.metrics", "must list at least one metric")
	}
	r.noDuplicates(errs, "evaluation.metrics", e.Metrics)
	if r.IsSet("evaluation.context") && e.Context < 2 {
		r.bad(errs, "evaluation.context", "%d must be >= 2", e.Context)
	}
	if e.Stride > e.Context {
		r.bad(errs, "evaluation.stride", "%d is larger than context %d", e.Stride, e.Context)
	}
}

func (r *Recipe) noDuplicates(errs *errorList, field string, xs []string) {
	for i, x := range xs {
		if slices.Index(xs, x) < i {
			r.bad(errs, fmt.Sprintf("%s[%d]", field, i), "%s is listed twice", x)
		}
	}
}

func (r *Recipe) checkQuantization(errs *errorList) {
	q := r.Quantization
	if q == nil {
		return
	}
	if len(q.Methods) == 0 {
		r.bad(errs, "quantization.methods", "must list at least one method")
	}
	labels := r.methodLabels()
	r.noDuplicates(errs, "quantization.methods", labels)
	r.checkPatterns(errs, "quantization.keep", q.Keep)
	r.unused(errs, "quantization.calibration", slices.ContainsFunc(q.Methods, Method.Calibrated), "gptq-int4, gptq and plan")
	for i, m := range q.Methods {
		p := fmt.Sprintf("quantization.methods[%d]", i)
		int4 := strings.HasPrefix(m.Method, "int4-") || m.Method == MethodGPTQInt4
		r.unused(errs, p+".asymmetric", int4, "int4-g32, int4-g64, int4-g128 and gptq-int4")
		r.unused(errs, p+".group_size", m.Method == MethodGPTQInt4, "gptq-int4")
		r.unused(errs, p+".calibration_samples", m.Calibrated(), "gptq-int4, gptq and plan")
		for _, f := range []string{"damp", "act_order"} {
			r.unused(errs, p+"."+f, m.Method == MethodGPTQInt4 || m.GPTQ, "gptq-int4 and gptq")
		}
		for _, f := range []string{"target_kl", "target_ppl_delta"} {
			r.unused(errs, p+"."+f, m.Method == MethodPlan, "plan")
		}
		if m.Method == MethodPlan && (m.TargetKL > 0) == (m.TargetPPLDelta > 0) {
			r.bad(errs, p, "plan needs exactly one of target_kl and target_ppl_delta, positive")
		}
		if m.GPTQ {
			switch m.Method {
			case MethodPlan, MethodQ8_0, MethodQ4_0, MethodQ4_1, "q5_0", "q5_1", "q4_k_s", MethodQ4_K_M, "q5_k_s", "q5_k_m", "q6_k":
			default:
				r.bad(errs, p+".gptq", "GPTQ writes the GGUF types Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K and Q6_K: not method %s (gptq-int4 is its own method)", m.Method)
			}
		}
		if r.IsSet(p + ".keep") {
			r.checkPatterns(errs, p+".keep", m.Keep)
		}
	}
}

func (r *Recipe) methodLabels() []string {
	if r.Quantization == nil {
		return nil
	}
	var ls []string
	for _, m := range r.Quantization.Methods {
		ls = append(ls, m.Label())
	}
	return ls
}

func (r *Recipe) checkPatterns(errs *errorList, field string, pats []string) {
	for i, p := range pats {
		if _, err := path.Match(p, ""); err != nil {
			r.bad(errs, fmt.Sprintf("%s[%d]", field, i), "bad pattern %q: %v", p, err)
		}
	}
}

// exportDTypes lists the tensor types each export format can hold.
var exportDTypes = map[string][]string{
	"gguf":        {"f32", "f16", "q8_0", "q4_0", "q5_0", "q5_1", "q2_k", "q3_k_m", "q4_k_s", "q4_k_m", "q5_k_s", "q5_k_m", "q6_k"},
	"safetensors": {"f32", "f16", "bf16"},
}

func (r *Recipe) checkExport(errs *errorList) {
	var seen []string
	for i, e := range r.Export {
		p := fmt.Sprintf("export[%d]", i)
		if ok := exportDTypes[e.Format]; ok != nil && !slices.Contains(ok, e.DType) {
			r.bad(errs, p+".dtype", "%s cannot be written as %s (want %s)", e.DType, e.Format, orList(ok))
		}
		key := e.Format + " " + e.DType
		if slices.Contains(seen, key) {
			r.bad(errs, p, "%s %s is listed twice", e.Format, e.DType)
		}
		seen = append(seen, key)
	}
}

func (r *Recipe) checkGates(errs *errorList) {
	g := r.Gates
	if g == nil {
		return
	}
	has := func(m string) bool { return slices.Contains(r.Evaluation.Metrics, m) }
	needMetric := func(field string, set bool, metric string) {
		if set && !has(metric) {
			r.bad(errs, field, "needs metric %s in evaluation.metrics", metric)
		}
	}
	needMetric("gates.student_ppl_max", g.StudentPPLMax != nil, MetricPPL)
	needMetric("gates.ppl_ratio_max", g.PPLRatioMax != nil, MetricPPL)
	needMetric("gates.kl_max", g.KLMax != nil, MetricKL)
	needMetric("gates.agreement_min", g.AgreementMin != nil, MetricAgreement)
	labels := r.methodLabels()
	if g.QuantPPLDeltaMax != nil {
		if len(labels) == 0 {
			r.bad(errs, "gates.quant_ppl_delta_max", "no quantization methods to gate")
		} else {
			needMetric("gates.quant_ppl_delta_max", true, MetricPPL)
		}
	}
	keys := make([]string, 0, len(g.Methods))
	for k := range g.Methods {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		mg := g.Methods[k]
		p := "gates.methods." + k
		if !slices.Contains(labels, k) {
			have := "there are none"
			if len(labels) > 0 {
				have = "have " + strings.Join(labels, ", ")
			}
			r.bad(errs, p, "no quantization method %q (%s)", k, have)
			continue
		}
		needMetric(p+".ppl_max", mg.PPLMax != nil, MetricPPL)
		needMetric(p+".quant_ppl_delta_max", mg.QuantPPLDeltaMax != nil, MetricPPL)
		needMetric(p+".kl_max", mg.KLMax != nil, MetricKL)
		needMetric(p+".agreement_min", mg.AgreementMin != nil, MetricAgreement)
	}
}
