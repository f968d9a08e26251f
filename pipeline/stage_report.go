package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"github.com/distill-dev/distill/internal/atomicfile"
	"github.com/distill-dev/distill/internal/units"
	"github.com/distill-dev/distill/recipe"
)

// Report writes report/report.md with the comparison table and the gates,
// and PNG plots of the training curves. (The train stage writes the
// TensorBoard event file as it trains.)
type Report struct{}

func (Report) Name() string { return StageReport }

func (Report) Inputs(r *recipe.Recipe) Inputs {
	return Inputs{Sections: []string{"name", "description", "gates"}}
}

// plots are the report's figures: file, title, y label and the metric keys
// of each line (alternatives in order of preference).
var plots = []struct {
	file, title, ylabel string
	logY                bool // loss scales move by powers of two
	lines               []plotLine
}{
	{"loss.png", "Training loss", "loss (nats)", false, []plotLine{
		{"total", []string{"loss", "total"}, false},
		{"KD", []string{"kd", "loss_kd", "kd_loss"}, false},
		{"CE", []string{"ce", "loss_ce", "ce_loss"}, false},
	}},
	{"lr.png", "Learning rate", "lr", false, []plotLine{{"lr", []string{"lr"}, false}}},
	{"loss_scale.png", "Loss scale (fp16)", "scale", true, []plotLine{{"loss scale", []string{"loss_scale"}, false}}},
	{"val_ppl.png", "Validation perplexity", "perplexity", false, []plotLine{
		{"student", []string{"val_ppl"}, false},
		{"teacher", []string{"teacher_ppl"}, true},
	}},
}

type plotLine struct {
	name   string
	keys   []string
	dashed bool
}

func (Report) Run(ctx context.Context, env *Env) ([]string, error) {
	sum, err := BuildSummary(env)
	if err != nil {
		return nil, err
	}
	sum.Gates = CheckGates(env.Recipe.Gates, sum)
	rows, err := ReadMetrics(env.Path(TrainMetricsFile))
	if err != nil {
		return nil, err
	}
	var outs, figs []string
	for _, p := range plots {
		var ss []series
		for _, l := range p.lines {
			xs, ys := column(rows, l.keys...)
			if p.logY && constant(ys) {
				xs, ys = nil, nil // fp32/bf16: the scale stays 1, nothing to show
			}
			ss = append(ss, series{name: l.name, xs: xs, ys: ys, dashed: l.dashed})
		}
		path := filepath.Join(env.Dir(), p.file)
		ok, err := plotPNG(path, p.title, p.ylabel, p.logY, ss)
		if err != nil {
			return nil, err
		}
		if ok {
			outs, figs = append(outs, env.Rel(path)), append(figs, p.file)
		}
	}
	var md bytes.Buffer
	writeReport(&md, env.Recipe, sum, figs)
	if err := atomicfile.Write(env.Path(ReportFile), func(w io.Writer) error { _, err := w.Write(md.Bytes()); return err }); err != nil {
		return nil, fmt.Errorf("pipeline: report: %w", err)
	}
	return append(outs, ReportFile), nil
}

// writeReport renders report.md.
func writeReport(w io.Writer, r *recipe.Recipe, s *Summary, figs []string) {
	fmt.Fprintf(w, "# %s\n\n", r.Name)
	if r.Description != "" {
		fmt.Fprintf(w, "%s\n\n", strings.TrimSpace(r.Description))
	}
	fmt.Fprintf(w, "Recipe: `%s`\n\n", r.File())
	fmt.Fprintln(w, "## Models")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| model | params | file size | perplexity | KL(teacher‖model) | top-1 agreement | tokens/s |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
	row := func(m *ModelMetrics) {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", m.Label, count(m.Params), size(m.SizeBytes),
			num(m.PPL, "%.3f"), ptr(m.KL, "%.4f"), ptr(m.Agreement, "%.2f%%", 100), num(m.TokPerSec, "%.0f"))
	}
	for _, m := range []*ModelMetrics{s.Teacher, s.Student} {
		if m != nil {
			row(m)
		}
	}
	for i := range s.Quantized {
		row(&s.Quantized[i])
	}
	fmt.Fprintln(w)
	if t := s.Training; t != nil {
		fmt.Fprintf(w, "Training: %d steps, final loss %.4f", t.Steps, t.FinalLoss)
		if t.Tokens > 0 {
			fmt.Fprintf(w, ", %s tokens at %.0f tokens/s", count(t.Tokens), t.TokPerSec)
		}
		fmt.Fprint(w, ".\n\n")
	}
	if len(s.Exports) > 0 {
		fmt.Fprintln(w, "## Exports")
		fmt.Fprintln(w)
		for _, e := range s.Exports {
			fmt.Fprintf(w, "- `%s` (%s, sha256 %s)\n", e.Path, size(e.Size), e.SHA256[:16])
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "## Gates")
	fmt.Fprintln(w)
	if len(s.Gates) == 0 {
		fmt.Fprintln(w, "No gates set.")
	} else {
		fmt.Fprintln(w, "| gate | subject | value | limit | result |")
		fmt.Fprintln(w, "|---|---|---:|---:|---|")
		for _, g := range s.Gates {
			v := fmt.Sprintf("%.4g", g.Value)
			if g.Status == GateMissing {
				v = "—"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s %.4g | **%s** |\n", g.Gate, g.Subject, v, g.Op, g.Limit, strings.ToUpper(g.Status))
		}
	}
	fmt.Fprintln(w)
	if len(figs) > 0 {
		fmt.Fprintln(w, "## Training curves")
		fmt.Fprintln(w)
		for _, f := range figs {
			fmt.Fprintf(w, "![%s](%s)\n\n", strings.TrimSuffix(f, ".png"), f)
		}
	}
	if len(s.Stages) > 0 {
		fmt.Fprintln(w, "## Stage timings")
		fmt.Fprintln(w)
		names := make([]string, 0, len(s.Stages))
		for n := range s.Stages {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(w, "- %s: %.1f s\n", n, s.Stages[n])
		}
	}
}

func num(v float64, f string) string {
	if v == 0 {
		return "—"
	}
	return fmt.Sprintf(f, v)
}

func ptr(v *float64, f string, scale ...float64) string {
	if v == nil {
		return "—"
	}
	x := *v
	for _, s := range scale {
		x *= s
	}
	return fmt.Sprintf(f, x)
}

func count(n int64) string {
	if n == 0 {
		return "—"
	}
	return units.Count(n)
}

func size(b int64) string {
	if b == 0 {
		return "—"
	}
	return units.Bytes(b)
}

// constant reports whether every value equals the first.
func constant(v []float64) bool {
	for _, x := range v {
		if x != v[0] {
			return false
		}
	}
	return true
}
