package quant

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/distill-dev/distill/corpus"
	"github.com/distill-dev/distill/eval"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
)

// chooseTypes meets the budget whenever it says so, and never stores more
// than the best uniform choice (every matrix at the same rank of its
// candidates, llama.cpp's way) that meets the budget; against an
// exhaustive search it is within the byte resolution of the optimum.
func TestChooseTypes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for trial := range 200 {
		nt := 2 + r.IntN(3)
		var names []string
		options := map[string][]candidate{}
		for i := range nt {
			n := fmt.Sprintf("t%d", i)
			names = append(names, n)
			size := int64(100 + r.IntN(1000))
			sens := math.Exp(3 * r.Float64())
			var cs []candidate
			for j, bits := range []float64{3.4, 4.5, 5.5, 6.6, 8.5, 16} {
				cs = append(cs, candidate{dt: kernels.DType(j), bytes: int64(bits * float64(size)), kl: sens * math.Exp2(-2*bits) * (0.7 + 0.6*r.Float64())})
			}
			options[n] = cs
		}
		budget := math.Exp(-12 * r.Float64())
		choice, pred, ok := chooseTypes(names, options, budget)
		// Exhaustive optimum.
		bestBytes, feasible := int64(math.MaxInt64), false
		var rec func(i int, bytes int64, kl float64)
		rec = func(i int, bytes int64, kl float64) {
			if i == len(names) {
				if kl <= budget && bytes < bestBytes {
					bestBytes, feasible = bytes, true
				}
				return
			}
			for _, c := range options[names[i]] {
				rec(i+1, bytes+c.bytes, kl+c.kl)
			}
		}
		rec(0, 0, 0)
		if ok != feasible {
			t.Fatalf("trial %d: chooseTypes ok=%v, exhaustive feasible=%v", trial, ok, feasible)
		}
		if !ok {
			continue
		}
		var bytes int64
		var kl float64
		for _, n := range names {
			bytes += options[n][choice[n]].bytes
			kl += options[n][choice[n]].kl
		}
		if kl > budget*(1+1e-12) || math.Abs(kl-pred) > 1e-12*math.Max(1, kl) {
			t.Fatalf("trial %d: chosen KL %g (reported %g) over budget %g", trial, kl, pred, budget)
		}
		for rank := range 6 {
			var ub int64
			var uk float64
			for _, n := range names {
				ub += options[n][rank].bytes
				uk += options[n][rank].kl
			}
			if uk <= budget && bytes > ub+int64(nt) {
				t.Fatalf("trial %d: %d bytes, the uniform rank-%d choice meets the budget with %d", trial, bytes, rank, ub)
			}
		}
		if float64(bytes) > float64(bestBytes)+float64(nt) {
			t.Errorf("trial %d: %d bytes, the optimum is %d", trial, bytes, bestBytes)
		}
	}
}

// On stories260K the planner's choice meets a KL and a perplexity target on
// the calibration text (and is reported beside uniform mixes on held-out
// text); an impossible target is an error that names the limiting matrices
// and the best achievable value; malformed targets are errors.
func TestPlanBudgetStories260K(t *testing.T) {
	if testing.Short() {
		t.Skip("many forward passes")
	}
	b := cpu.New(0)
	tc, stream, calibIDs := stories(t, b, 48)
	cfg, src := tc.Config, SourceOf(tc.Model)
	calib := corpus.CalibrationWindows(calibIDs, 8, 256)
	eo := eval.Options{Context: 256}

	proxy, err := PlanBudget(cfg, src, b, calib, Target{KL: 0.01}, BudgetOptions{Eval: eo})
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	proxy.WriteTable(&sb)
	t.Logf("plan:\n%s", sb.String())
	if proxy.KL > 0.01 {
		t.Errorf("planned KL %.4g over the 0.01 target on the calibration text", proxy.KL)
	}
	// Held out: the planned mix against the smallest uniform mixes.
	rep, err := Measure(cfg, src, []Method{proxy.Method, mustMethod(t, "q5_1"), mustMethod(t, "q8_0")}, b, stream, eo, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sb.Reset()
	rep.WriteTable(&sb)
	t.Logf("held out:\n%s", sb.String())

	pp, err := PlanBudget(cfg, src, b, calib, Target{PPLDeltaPct: 1}, BudgetOptions{Eval: eo})
	if err != nil {
		t.Fatal(err)
	}
	if pp.PPLDeltaPct > 1 {
		t.Errorf("planned Δppl %.3f%% over the 1%% target", pp.PPLDeltaPct)
	}
	t.Logf("Δppl <= 1%%: %d bytes, Δppl %.3f%%, KL %.4g", pp.Bytes, pp.PPLDeltaPct, pp.KL)

	_, err = PlanBudget(cfg, src, b, calib, Target{KL: 1e-4}, BudgetOptions{Eval: eo, Candidates: []kernels.DType{kernels.Q4_K, kernels.Q5_K}})
	if err == nil || !strings.Contains(err.Error(), "cannot be reached") || !strings.Contains(err.Error(), "blk.") || !strings.Contains(err.Error(), "best achievable") {
		t.Errorf("unreachable target: error %v", err)
	} else {
		t.Logf("unreachable: %v", err)
	}
	for _, bad := range []Target{{}, {KL: -1}, {KL: 0.1, PPLDeltaPct: 1}, {KL: math.NaN()}, {PPLDeltaPct: math.Inf(1)}} {
		if _, err := PlanBudget(cfg, src, b, calib, bad, BudgetOptions{Eval: eo}); err == nil {
			t.Errorf("target %+v: no error", bad)
		}
	}
}

func mustMethod(t *testing.T, name string) Method {
	m, err := ParseMethod(name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The proxy (one measured type per matrix, the others predicted from the
// importance-weighted error) against measuring every pair on stories260K:
// the median ratio of predicted to measured KL is near 1 and most
// predictions are within a factor of 2.
func TestBudgetProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("many forward passes")
	}
	b := cpu.New(0)
	tc, _, calibIDs := stories(t, b, 8)
	cfg, src := tc.Config, SourceOf(tc.Model)
	windows := corpus.CalibrationWindows(calibIDs, 8, 256)
	pl, free, err := newPlanner(cfg, src, b, windows, eval.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer free()
	im, err := CollectImatrix(cfg, src, b, windows)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := NewPlan(cfg, Method{Name: "probe", Base: kernels.Q8_0, Family: FamilyGGUF}, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	names, exact, err := pl.sensitivities(plan, DefaultCandidates, im, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	var ratios []float64
	for _, n := range names {
		cs := exact[n]
		for i := 1; i < len(cs); i++ {
			if cs[i].dt == kernels.F16 || cs[0].err == 0 || cs[i].kl < 1e-5 {
				continue // below the measurement's noise
			}
			ratios = append(ratios, cs[0].kl*cs[i].err/cs[0].err/cs[i].kl)
		}
	}
	sort.Float64s(ratios)
	med := ratios[len(ratios)/2]
	within := 0
	for _, r := range ratios {
		if r > 0.5 && r < 2 {
			within++
		}
	}
	t.Logf("predicted/measured KL over %d (matrix, type) pairs: min %.2f, median %.2f, max %.2f; %d within a factor of 2",
		len(ratios), ratios[0], med, ratios[len(ratios)-1], within)
	if med < 0.67 || med > 1.5 || within < len(ratios)*3/4 {
		t.Errorf("the proxy is off: median ratio %.2f, %d of %d within a factor of 2", med, within, len(ratios))
	}
}
