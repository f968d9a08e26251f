package pipeline

import (
	"fmt"
	"io"
	"strings"

	"github.com/distill-dev/distill/recipe"
)

// Gate statuses.
const (
	GatePass    = "pass"
	GateFail    = "fail"
	GateMissing = "missing" // the metric was not measured: counts as failed
)

// GateResult is one gate checked against one model or file.
type GateResult struct {
	Gate    string  `json:"gate"`    // recipe key, e.g. "ppl_ratio_max" or "methods.q8_0.quant_ppl_delta_max"
	Subject string  `json:"subject"` // "student", a method label, or a file
	Value   float64 `json:"value"`
	Limit   float64 `json:"limit"`
	Op      string  `json:"op"` // "<=" or ">="
	Status  string  `json:"status"`
}

// GateError is returned by Run when a gate failed; the process should exit
// with ExitGateFailed.
type GateError struct {
	Failed []GateResult
}

func (e *GateError) Error() string {
	var b strings.Builder
	b.WriteString("gate failed: ")
	for i, g := range e.Failed {
		if i > 0 {
			b.WriteString("; ")
		}
		if g.Status == GateMissing {
			fmt.Fprintf(&b, "%s (%s: metric not measured)", g.Gate, g.Subject)
		} else {
			fmt.Fprintf(&b, "%s (%s: %.4g, want %s %.4g)", g.Gate, g.Subject, g.Value, g.Op, g.Limit)
		}
	}
	return b.String()
}

// CheckGates evaluates the recipe's gates on a summary. The top-level
// student gates apply to the unquantized student; each quantized student
// gets g.ForMethod(label); size_max_mb also bounds every exported file.
func CheckGates(g *recipe.Gates, s *Summary) []GateResult {
	if g == nil {
		return nil
	}
	var res []GateResult
	check := func(gate, subject string, limit *float64, value *float64, max bool) {
		if limit == nil {
			return
		}
		r := GateResult{Gate: gate, Subject: subject, Limit: *limit, Op: "<="}
		if !max {
			r.Op = ">="
		}
		switch {
		case value == nil:
			r.Status = GateMissing
		case max && *value <= *limit, !max && *value >= *limit:
			r.Value, r.Status = *value, GatePass
		default:
			r.Value, r.Status = *value, GateFail
		}
		res = append(res, r)
	}
	var stPPL, ratio, stKL, stAgree, stSize *float64
	if st := s.Student; st != nil {
		stPPL, stKL, stAgree = positive(st.PPL), st.KL, st.Agreement
		stSize = mb(st.SizeBytes)
		if t := s.Teacher; t != nil && st.PPL > 0 && t.PPL > 0 {
			v := st.PPL / t.PPL
			ratio = &v
		}
	}
	check("student_ppl_max", "student", g.StudentPPLMax, stPPL, true)
	check("ppl_ratio_max", "student", g.PPLRatioMax, ratio, true)
	check("kl_max", "student", g.KLMax, stKL, true)
	check("agreement_min", "student", g.AgreementMin, stAgree, false)
	check("size_max_mb", "student", g.SizeMaxMB, stSize, true)
	for _, q := range s.Quantized {
		mg := g.ForMethod(q.Label)
		name := func(key string) string {
			if _, ok := g.Methods[q.Label]; ok && methodSets(g.Methods[q.Label], key) {
				return "methods." + q.Label + "." + key
			}
			return key
		}
		var delta *float64
		if s.Student != nil && s.Student.PPL > 0 && q.PPL > 0 {
			v := (q.PPL - s.Student.PPL) / s.Student.PPL
			delta = &v
		}
		check(name("ppl_max"), q.Label, mg.PPLMax, positive(q.PPL), true)
		check(name("kl_max"), q.Label, mg.KLMax, q.KL, true)
		check(name("agreement_min"), q.Label, mg.AgreementMin, q.Agreement, false)
		check(name("quant_ppl_delta_max"), q.Label, mg.QuantPPLDeltaMax, delta, true)
		check(name("size_max_mb"), q.Label, mg.SizeMaxMB, mb(q.SizeBytes), true)
		check(name("quant_kl_max"), q.Label, mg.QuantKLMax, q.QuantKL, true)
	}
	for _, e := range s.Exports {
		check("size_max_mb", e.Path, g.SizeMaxMB, mb(e.Size), true)
	}
	return res
}

// methodSets reports whether the per-method gate key is set.
func methodSets(m recipe.MethodGates, key string) bool {
	switch key {
	case "ppl_max":
		return m.PPLMax != nil
	case "kl_max":
		return m.KLMax != nil
	case "agreement_min":
		return m.AgreementMin != nil
	case "quant_ppl_delta_max":
		return m.QuantPPLDeltaMax != nil
	case "size_max_mb":
		return m.SizeMaxMB != nil
	case "quant_kl_max":
		return m.QuantKLMax != nil
	}
	return false
}

func positive(v float64) *float64 {
	if v <= 0 {
		return nil
	}
	return &v
}

// mb is a size in MB (10^6 bytes); nil when unknown.
func mb(bytes int64) *float64 {
	if bytes <= 0 {
		return nil
	}
	v := float64(bytes) / 1e6
	return &v
}

// failed returns the gates that did not pass.
func failed(res []GateResult) []GateResult {
	var f []GateResult
	for _, r := range res {
		if r.Status != GatePass {
			f = append(f, r)
		}
	}
	return f
}

// PrintGates writes the pass/fail table.
func PrintGates(w io.Writer, res []GateResult) {
	if len(res) == 0 {
		fmt.Fprintln(w, "gates: none set")
		return
	}
	width := len("gate")
	for _, r := range res {
		width = max(width, len(r.Gate))
	}
	subj := len("subject")
	for _, r := range res {
		subj = max(subj, len(r.Subject))
	}
	fmt.Fprintf(w, "%-*s  %-*s  %10s  %-12s  %s\n", width, "gate", subj, "subject", "value", "limit", "result")
	for _, r := range res {
		val := fmt.Sprintf("%.4g", r.Value)
		if r.Status == GateMissing {
			val = "-"
		}
		limit := fmt.Sprintf("%s %.4g", r.Op, r.Limit)
		fmt.Fprintf(w, "%-*s  %-*s  %10s  %-12s  %s\n", width, r.Gate, subj, r.Subject, val, limit, strings.ToUpper(r.Status))
	}
}
