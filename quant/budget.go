package quant

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/distill-dev/distill/corpus"
	"github.com/distill-dev/distill/eval"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
)

// The quality-budget planner: per-tensor storage types chosen so that the
// model stays within a KL (or perplexity) budget of the unquantized one at
// the fewest bytes. llama.cpp's mixes fix the types by rule and can only be
// picked by file size; the planner measures instead.
//
// Sensitivity. For matrix t and candidate type c, s(t, c) is the mean
// KL(unquantized || model with only t stored as c) per token on the
// calibration text. Measuring every pair costs one forward pass per pair;
// by default only the cheapest candidate of each matrix is measured and the
// others are predicted from the importance-weighted squared error
//
//	e(t, c) = sum_rows sum_j imp_j (w_j - deq_c(w)_j)^2
//
// (imp: the matrix's imatrix, the mean squared input of column j; 1 for
// the token embedding) as s(t, c) = s(t, cheapest) e(t, c) / e(t, cheapest):
// for small perturbations KL is a quadratic form in the weight error whose
// diagonal e is. BudgetOptions.MeasureAll measures every pair instead.
//
// Choice. Predicted KL is taken as additive over tensors, which makes the
// choice a small knapsack (tens of matrices, a few types each), solved
// exactly by dynamic programming over bytes (chooseTypes). Verification. The chosen mix is quantized and measured on
// the calibration text; when it misses the target (KL is not exactly
// additive) the budget is tightened by predicted/measured and the choice
// redone, up to budgetRounds times. A perplexity target is met the same way
// through a KL budget, starting at ln(1 + P/100) and rescaled by the
// measured log-perplexity increase.

// Target is a quality budget on the calibration text: mean KL(unquantized
// || quantized) per token in nats, or the relative perplexity increase in
// percent. Exactly one is positive.
type Target struct {
	KL          float64 `json:"kl,omitempty"`
	PPLDeltaPct float64 `json:"ppl_delta_pct,omitempty"`
}

// Check reports a target that is not exactly one positive finite bound.
func (t Target) Check() error {
	ok := func(v float64) bool { return v > 0 && !math.IsInf(v, 0) }
	if ok(t.KL) == ok(t.PPLDeltaPct) || t.KL < 0 || t.PPLDeltaPct < 0 || math.IsNaN(t.KL) || math.IsNaN(t.PPLDeltaPct) {
		return fmt.Errorf("quant: quality target needs exactly one positive KL or perplexity-increase bound, got KL %g, Δppl %g%%", t.KL, t.PPLDeltaPct)
	}
	return nil
}

// String is "kl<=X" or "ppl+<=P%".
func (t Target) String() string {
	if t.KL > 0 {
		return fmt.Sprintf("kl<=%g", t.KL)
	}
	return fmt.Sprintf("ppl+<=%g%%", t.PPLDeltaPct)
}

// DefaultCandidates are the types the planner tries per matrix (before the
// row-length fallback, which on rows that fit no 256-element block turns
// them into Q4_0, Q5_0, Q5_1, Q8_0 and F16).
var DefaultCandidates = []kernels.DType{kernels.Q3_K, kernels.Q4_K, kernels.Q5_K, kernels.Q6_K, kernels.Q8_0, kernels.F16}

// BudgetOptions adjusts PlanBudget.
type BudgetOptions struct {
	// Candidates are the types tried per matrix; nil means DefaultCandidates.
	Candidates []kernels.DType
	// Plan gives the tensors kept out of the choice (Keep, as for the GGML
	// methods: nil keeps only the position table and 1-D tensors).
	Plan PlanOptions
	// Imatrix weights the encoding as in QuantizeWeighted (nil: plain
	// round to nearest). The proxy error uses it too, else one collected
	// from the calibration windows.
	Imatrix Imatrix
	// Margin is the fraction of the target kept in reserve on the
	// calibration text, for the difference between the calibration sample
	// and held-out text (0: aim at the target itself).
	Margin float64
	// MeasureAll measures every (matrix, type) pair instead of predicting
	// all but the cheapest from the weighted error.
	MeasureAll bool
	// Eval sets the windows of every measurement on the calibration stream.
	Eval eval.Options
}

// DefaultMargin is the Margin the command line and recipes use: on
// stories3M, 512-token windows of held-out text gave a mix planned to KL
// 0.005 on 32k other tokens of the same text 0.00516.
const DefaultMargin = 0.1

// budgetRounds bounds the verify-and-tighten iterations.
const budgetRounds = 6

// TensorBudget is the planner's choice for one matrix.
type TensorBudget struct {
	Name  string        `json:"name"`
	DType kernels.DType `json:"-"`
	Type  string        `json:"type"`
	Bytes int64         `json:"bytes"`
	// PredictedKL is s(t, DType) (see the package's planner notes).
	PredictedKL float64 `json:"predicted_kl"`
	Measured    bool    `json:"measured"` // s was measured, not predicted
}

// Budget is the planner's result: the method to apply (a GGML method whose
// Types fix every matrix) and what was predicted and measured on the
// calibration text.
type Budget struct {
	Target      Target         `json:"target"`
	Method      Method         `json:"-"`
	Tensors     []TensorBudget `json:"tensors"`
	Bytes       int64          `json:"bytes"`        // every parameter, as planned
	PredictedKL float64        `json:"predicted_kl"` // sum of the chosen s(t, c)
	KL          float64        `json:"kl"`           // measured on the calibration text
	PPLDeltaPct float64        `json:"ppl_delta_pct"`
	Passes      int            `json:"passes"` // forward passes over the calibration text
	Rounds      int            `json:"rounds"` // choose-and-verify iterations
}

// candidate is one storage option of a matrix.
type candidate struct {
	dt       kernels.DType
	bytes    int64
	kl       float64
	err      float64 // proxy error e(t, c)
	measured bool
}

// planner holds what every measurement of PlanBudget shares: the
// reference model (its logits on the calibration text cached) and the
// calibration stream.
type planner struct {
	cfg    model.Config
	src    model.TensorSource
	b      kernels.Backend
	calib  corpus.Stream
	eo     eval.Options
	ref    *cachedLM
	passes int
}

// measure compares the model qs with the reference on the calibration text.
func (pl *planner) measure(qs model.TensorSource) (Row, error) {
	pl.ref.next = 0
	pl.passes++
	return Compare(pl.ref, pl.cfg, qs, pl.b, pl.calib, pl.eo)
}

// sensitivities returns the candidates of every matrix the plan does not
// keep (bytes ascending), with their measured or predicted KL, in plan
// order. imp weights the proxy error (needed unless measureAll); encodeIm
// weights the encoding.
func (pl *planner) sensitivities(plan *Plan, cands []kernels.DType, imp, encodeIm Imatrix, measureAll bool) ([]string, map[string][]candidate, error) {
	options := map[string][]candidate{}
	var names []string
	for _, tp := range plan.Tensors {
		if len(tp.Shape) < 2 || tp.Why == "keep" {
			continue
		}
		t, ok := pl.src.Lookup(tp.Name)
		if !ok {
			return nil, nil, fmt.Errorf("quant: %s: missing tensor %s", pl.src.Where(), tp.Name)
		}
		var cs []candidate
		for _, c := range cands {
			dt, _ := fitRow(c, "", tp.Shape[len(tp.Shape)-1])
			if slices.ContainsFunc(cs, func(x candidate) bool { return x.dt == dt }) {
				continue
			}
			n, err := dt.Bytes(tp.Shape)
			if err != nil {
				return nil, nil, fmt.Errorf("quant: planner: %s as %s: %w", tp.Name, dt, err)
			}
			cs = append(cs, candidate{dt: dt, bytes: int64(n)})
		}
		sort.Slice(cs, func(i, j int) bool { return cs[i].bytes < cs[j].bytes })
		w, err := Float32(t)
		if err != nil {
			return nil, nil, err
		}
		for i := range cs {
			c := &cs[i]
			enc, err := ConvertWeighted(t, c.dt, encodeIm[tp.Name])
			if err != nil {
				return nil, nil, fmt.Errorf("quant: planner: %w", err)
			}
			if measureAll || i == 0 {
				row, err := pl.measure(&overlay{TensorSource: pl.src, t: enc})
				if err != nil {
					return nil, nil, err
				}
				c.kl, c.measured = max(row.KL, 0), true
			}
			if c.err, err = weightedError(w, enc, imp[tp.Name]); err != nil {
				return nil, nil, err
			}
		}
		if !measureAll {
			for i := 1; i < len(cs); i++ {
				if cs[0].err > 0 {
					cs[i].kl = cs[0].kl * cs[i].err / cs[0].err
				}
			}
		}
		options[tp.Name] = cs
		names = append(names, tp.Name)
	}
	return names, options, nil
}

// newPlanner builds the reference model and caches its logits on the
// calibration windows (one stream; eo.Context defaults to the window
// length). The returned function frees the reference model.
func newPlanner(cfg model.Config, src model.TensorSource, b kernels.Backend, calib [][]int32, eo eval.Options) (*planner, func(), error) {
	var ids []int32
	for _, w := range calib {
		ids = append(ids, w...)
	}
	if eo.Context == 0 && len(calib) > 0 {
		eo.Context = len(calib[0])
	}
	ref, err := model.New(cfg, b, src)
	if err != nil {
		return nil, nil, fmt.Errorf("quant: planner: reference model: %w", err)
	}
	pl := &planner{cfg: cfg, src: src, b: b, calib: corpus.NewStream(ids), eo: eo, ref: &cachedLM{LM: ref, budget: 1 << 30}}
	if _, err := pl.measure(src); err != nil { // fills the reference cache
		ref.Free()
		return nil, nil, err
	}
	return pl, ref.Free, nil
}

// PlanBudget chooses per-matrix types for the model (cfg, src) that meet
// target on the calibration windows calib (equal length; measured as one
// stream, in windows of that length unless o.Eval says otherwise) at the
// fewest bytes, measuring on backend b. It returns an error naming the
// limiting matrices and the best achievable value when no choice of the
// candidates meets the target.
func PlanBudget(cfg model.Config, src model.TensorSource, b kernels.Backend, calib [][]int32, target Target, o BudgetOptions) (*Budget, error) {
	if err := target.Check(); err != nil {
		return nil, err
	}
	if err := checkWindows(calib, cfg.MaxSeqLen); err != nil {
		return nil, fmt.Errorf("quant: planner: %w", err)
	}
	cands := o.Candidates
	if cands == nil {
		cands = DefaultCandidates
	}
	for _, dt := range cands {
		if m, err := ParseMethod(strings.ToLower(dt.String())); err != nil || m.Family == FamilyDistill {
			return nil, fmt.Errorf("quant: planner: candidate type %s is not a GGUF type (want F32 F16 BF16 Q8_0 Q6_K Q5_K Q4_K Q3_K Q2_K Q5_1 Q5_0 Q4_1 Q4_0)", dt)
		}
	}
	base := Method{Name: "target:" + target.String(), Base: kernels.Q8_0, Family: FamilyGGUF}
	plan, err := NewPlan(cfg, base, o.Plan)
	if err != nil {
		return nil, err
	}
	pl, free, err := newPlanner(cfg, src, b, calib, o.Eval)
	if err != nil {
		return nil, err
	}
	defer free()
	imp := o.Imatrix
	if imp == nil {
		if imp, err = CollectImatrix(cfg, src, b, calib); err != nil {
			return nil, fmt.Errorf("quant: planner: %w", err)
		}
	}
	names, options, err := pl.sensitivities(plan, cands, imp, o.Imatrix, o.MeasureAll)
	if err != nil {
		return nil, err
	}

	// Choose, verify, tighten.
	if !(o.Margin >= 0 && o.Margin < 1) {
		return nil, fmt.Errorf("quant: planner: margin %g is not in [0, 1)", o.Margin)
	}
	keep := 1 - o.Margin
	budget := target.KL * keep
	if target.PPLDeltaPct > 0 {
		budget = math.Log1p(target.PPLDeltaPct/100) * keep
	}
	var best *Budget
	for round := 1; round <= budgetRounds; round++ {
		choice, pred, ok := chooseTypes(names, options, budget)
		if !ok {
			return nil, unreachable(target, names, options, budget, round)
		}
		m := base
		m.Types = map[string]kernels.DType{}
		for _, n := range names {
			m.Types[n] = options[n][choice[n]].dt
		}
		p, err := NewPlan(cfg, m, o.Plan)
		if err != nil {
			return nil, err
		}
		qs, err := QuantizeWeighted(src, p, o.Imatrix)
		if err != nil {
			return nil, err
		}
		row, err := pl.measure(qs)
		if err != nil {
			return nil, err
		}
		cur := &Budget{Target: target, Method: m, Bytes: p.Bytes(), PredictedKL: pred, KL: row.KL, PPLDeltaPct: row.DeltaPct, Rounds: round}
		for _, n := range names {
			c := options[n][choice[n]]
			cur.Tensors = append(cur.Tensors, TensorBudget{Name: n, DType: c.dt, Type: c.dt.String(), Bytes: c.bytes, PredictedKL: c.kl, Measured: c.measured})
		}
		got, want := row.KL, target.KL*keep
		if target.PPLDeltaPct > 0 {
			got, want = math.Log1p(max(row.DeltaPct, 0)/100), math.Log1p(target.PPLDeltaPct/100)*keep
		}
		if got <= want {
			best = cur
			break
		}
		// Missed: tighten the budget by how far the prediction was off
		// (at least 10%).
		budget *= min(0.9, want/got)
		if got > 0 && pred > 0 && target.KL > 0 {
			budget = min(budget, want*pred/got)
		}
	}
	if best == nil {
		return nil, fmt.Errorf("quant: %s: no mix met the target on the calibration text after %d rounds of tightening (KL is far from additive on this model); try a looser target or --target-types with more precise types", target, budgetRounds)
	}
	best.Passes = pl.passes
	return best, nil
}

// chooseTypes picks one candidate per matrix with predicted KL summing to
// at most budget at the fewest bytes: a knapsack solved exactly by dynamic
// programming over bytes counted in units of 1/chooseLevels of the largest
// total (each candidate's size rounded up to a unit, so the choice is at
// most one unit per matrix from the optimum). ok is false when even the
// most precise candidates exceed the budget.
func chooseTypes(names []string, options map[string][]candidate, budget float64) (map[string]int, float64, bool) {
	var top int64
	for _, n := range names {
		var m int64
		for _, c := range options[n] {
			m = max(m, c.bytes)
		}
		top += m
	}
	unit := max(1, (top+chooseLevels-1)/chooseLevels)
	levels := int(top/unit) + len(names) + 1
	inf := math.Inf(1)
	// kl[u] is the least predicted KL of the matrices so far in u units.
	kl := make([]float64, levels)
	for u := range kl {
		kl[u] = inf
	}
	kl[0] = 0
	pick := make([][]int8, len(names)) // pick[i][u]: the candidate of matrix i at u units
	for i, n := range names {
		next := make([]float64, levels)
		for u := range next {
			next[u] = inf
		}
		pick[i] = make([]int8, levels)
		for u, v := range kl {
			if v == inf {
				continue
			}
			for j, c := range options[n] {
				w := u + int((c.bytes+unit-1)/unit)
				if w < levels && v+c.kl < next[w] {
					next[w], pick[i][w] = v+c.kl, int8(j)
				}
			}
		}
		kl = next
	}
	for u, v := range kl {
		if v > budget {
			continue
		}
		choice := map[string]int{}
		for i := len(names) - 1; i >= 0; i-- {
			j := int(pick[i][u])
			choice[names[i]] = j
			u -= int((options[names[i]][j].bytes + unit - 1) / unit)
		}
		var sum float64
		for _, n := range names {
			sum += options[n][choice[n]].kl
		}
		return choice, sum, true
	}
	return nil, 0, false
}

// chooseLevels is the resolution of chooseTypes' byte axis.
const chooseLevels = 20000

// unreachable explains a budget no choice meets: the best achievable
// predicted value and the matrices whose most precise type still costs the
// most.
func unreachable(target Target, names []string, options map[string][]candidate, budget float64, round int) error {
	type lim struct {
		name string
		c    candidate
	}
	var ls []lim
	var floor float64
	for _, n := range names {
		c := options[n][0]
		for _, x := range options[n] {
			if x.kl < c.kl {
				c = x
			}
		}
		floor += c.kl
		ls = append(ls, lim{n, c})
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i].c.kl > ls[j].c.kl })
	var parts []string
	for _, l := range ls[:min(5, len(ls))] {
		parts = append(parts, fmt.Sprintf("%s (KL %.3g even as %s)", l.name, l.c.kl, l.c.dt))
	}
	what := fmt.Sprintf("the best achievable predicted KL is %.3g", floor)
	if target.PPLDeltaPct > 0 {
		what = fmt.Sprintf("the best achievable predicted perplexity increase is about %.3g%%", 100*math.Expm1(floor))
	}
	note := ""
	if round > 1 {
		note = fmt.Sprintf(" (after tightening the KL budget to %.3g because the measured mixes missed)", budget)
	}
	return fmt.Errorf("quant: target %s cannot be reached with the candidate types%s: %s; the matrices that limit it: %s", target, note, what, strings.Join(parts, ", "))
}

// weightedError is e(t, c): the squared error of enc against w, column j
// weighted by imp[j] (1 when imp is nil).
func weightedError(w []float32, enc model.HostTensor, imp []float32) (float64, error) {
	d, err := Float32(enc)
	if err != nil {
		return 0, err
	}
	_, k := shapeRows(enc.Shape)
	var s float64
	for i, v := range w {
		e := float64(v - d[i])
		if imp != nil {
			e *= math.Sqrt(float64(imp[i%k]))
		}
		s += e * e
	}
	return s, nil
}

// overlay is a tensor source with one tensor replaced.
type overlay struct {
	model.TensorSource
	t model.HostTensor
}

func (o *overlay) Lookup(name string) (model.HostTensor, bool) {
	if name == o.t.Name {
		return o.t, true
	}
	return o.TensorSource.Lookup(name)
}

// WriteTable prints the choice: one line per matrix, then the totals.
func (bu *Budget) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "tensor\ttype\tbytes\tpredicted KL\t\n")
	for _, t := range bu.Tensors {
		src := "predicted"
		if t.Measured {
			src = "measured"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.3g (%s)\t\n", t.Name, t.Type, t.Bytes, t.PredictedKL, src)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "target %s: predicted KL %.4g; on the calibration text KL %.4g, Δppl %+.2f%%; %d bytes; %d forward passes, %d round(s)\n",
		bu.Target, bu.PredictedKL, bu.KL, bu.PPLDeltaPct, bu.Bytes, bu.Passes, bu.Rounds)
	return err
}
