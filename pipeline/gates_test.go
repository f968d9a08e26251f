package pipeline

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/distill-dev/distill/recipe"
)

func f64(v float64) *float64 { return &v }

func testSummary() *Summary {
	return &Summary{
		Teacher: &ModelMetrics{Label: "teacher", PPL: 4},
		Student: &ModelMetrics{Label: "student", PPL: 5, KL: f64(0.2), Agreement: f64(0.7), SizeBytes: 2e6},
		Quantized: []ModelMetrics{
			{Label: "q8_0", PPL: 5.01, KL: f64(0.21), Agreement: f64(0.69), SizeBytes: 1e6},
			{Label: "q4_k_m", PPL: 5.5, KL: f64(0.3), Agreement: f64(0.6), SizeBytes: 6e5, QuantKL: f64(0.02)},
		},
		Exports: []Output{{Path: "export/student-q4_k_m.gguf", Size: 6e5}},
	}
}

func TestCheckGates(t *testing.T) {
	for _, tc := range []struct {
		name  string
		gates recipe.Gates
		fail  []string // failed gates as "gate/subject"
		n     int      // gates checked
	}{
		{"none", recipe.Gates{}, nil, 0},
		{"student passes", recipe.Gates{StudentPPLMax: f64(5), PPLRatioMax: f64(1.25), KLMax: f64(0.2), AgreementMin: f64(0.7)}, nil, 4},
		{"student fails", recipe.Gates{StudentPPLMax: f64(4.9), PPLRatioMax: f64(1.2), KLMax: f64(0.1), AgreementMin: f64(0.8)},
			[]string{"student_ppl_max/student", "ppl_ratio_max/student", "kl_max/student", "agreement_min/student"}, 4},
		{"quant delta", recipe.Gates{QuantPPLDeltaMax: f64(0.05)}, []string{"quant_ppl_delta_max/q4_k_m"}, 2},
		{"per method overrides", recipe.Gates{QuantPPLDeltaMax: f64(0.2), Methods: map[string]recipe.MethodGates{"q8_0": {QuantPPLDeltaMax: f64(0.001), AgreementMin: f64(0.5)}}},
			[]string{"methods.q8_0.quant_ppl_delta_max/q8_0"}, 3},
		{"quantized KL", recipe.Gates{Methods: map[string]recipe.MethodGates{"q4_k_m": {QuantKLMax: f64(0.01)}, "q8_0": {QuantKLMax: f64(0.01)}}},
			[]string{"methods.q8_0.quant_kl_max/q8_0", "methods.q4_k_m.quant_kl_max/q4_k_m"}, 2},
		{"size bounds every file", recipe.Gates{SizeMaxMB: f64(0.9)}, []string{"size_max_mb/student", "size_max_mb/q8_0"}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := CheckGates(&tc.gates, testSummary())
			var got []string
			for _, r := range failed(res) {
				got = append(got, r.Gate+"/"+r.Subject)
			}
			if strings.Join(got, ",") != strings.Join(tc.fail, ",") || len(res) != tc.n {
				t.Errorf("failed %v (of %d), want %v (of %d)", got, len(res), tc.fail, tc.n)
			}
		})
	}
}

func TestGateMissingMetric(t *testing.T) {
	s := testSummary()
	s.Student.KL = nil
	res := CheckGates(&recipe.Gates{KLMax: f64(1)}, s)
	if len(res) != 1 || res[0].Status != GateMissing {
		t.Fatalf("%+v", res)
	}
	if err := (&GateError{Failed: res}); !strings.Contains(err.Error(), "kl_max (student: metric not measured)") {
		t.Errorf("error %q", err)
	}
}

// TestGateFailureExitCode runs the fake pipeline with metrics written by a
// fake eval stage and an impossible gate: Run must return a *GateError
// naming it, mapped to exit code 3, and print the table.
func TestGateFailureExitCode(t *testing.T) {
	dir := t.TempDir()
	fs := fakePipeline()
	stages := asStages(fs)
	stages[2] = &metricsStage{fakeStage: *fs[2]}
	var out bytes.Buffer
	err := Run(context.Background(), testRecipe(t, dir, "gates: {ppl_ratio_max: 1.3, agreement_min: 0.99}\n"), Options{Stages: stages, Out: &out})
	var ge *GateError
	if !errors.As(err, &ge) || ExitCode(err) != ExitGateFailed {
		t.Fatalf("err = %v (exit %d)", err, ExitCode(err))
	}
	if len(ge.Failed) != 1 || ge.Failed[0].Gate != "agreement_min" || !strings.Contains(err.Error(), "agreement_min (student: 0.7, want >= 0.99)") {
		t.Errorf("err = %v", err)
	}
	for _, want := range []string{"ppl_ratio_max  student        1.25  <= 1.3        PASS", "PASS", "agreement_min", "FAIL"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	var s Summary
	if _, err := readJSON(dir+"/"+SummaryFile, &s); err != nil || s.Passed || len(s.Gates) != 2 || s.Student.PPL != 5 {
		t.Errorf("summary.json %+v (%v)", s, err)
	}
	if ExitCode(nil) != ExitOK || ExitCode(errors.New("x")) != ExitError {
		t.Error("ExitCode")
	}
}

// metricsStage is a fake eval stage that also writes eval/metrics.json.
type metricsStage struct{ fakeStage }

func (m *metricsStage) Run(ctx context.Context, env *Env) ([]string, error) {
	outs, err := m.fakeStage.Run(ctx, env)
	if err != nil {
		return nil, err
	}
	s := testSummary()
	if err := writeJSON(env.Path(EvalMetricsFile), EvalMetrics{Teacher: *s.Teacher, Student: *s.Student}); err != nil {
		return nil, err
	}
	return append(outs, EvalMetricsFile), nil
}
