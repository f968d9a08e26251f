package pipeline

import (
	"fmt"

	"github.com/distill-dev/distill/internal/units"
)

// finish writes summary.json and checks the gates, once every stage of the
// pipeline has completed.
func (p *runner) finish() error {
	for _, s := range p.stages {
		if rec := p.m.Stage(s.Name()); rec == nil || rec.Status != StatusDone {
			fmt.Fprintf(p.out, "gates not checked: stage %s has not completed\n", s.Name())
			return nil
		}
	}
	env := &Env{Recipe: p.r, RunDir: p.dir, Log: p.out, Manifest: p.m}
	sum, err := BuildSummary(env)
	if err != nil {
		return err
	}
	sum.Gates = CheckGates(p.r.Gates, sum)
	bad := failed(sum.Gates)
	sum.Passed = len(bad) == 0
	if err := writeJSON(env.Path(SummaryFile), sum); err != nil {
		return err
	}
	fmt.Fprintln(p.out)
	PrintGates(p.out, sum.Gates)
	p.printWhere(sum)
	if len(bad) > 0 {
		return &GateError{Failed: bad}
	}
	return nil
}

// printWhere ends a run with where its results are: every metric, the
// report and each export.
func (p *runner) printWhere(sum *Summary) {
	fmt.Fprintf(p.out, "\nresults in %s:\n", p.dir)
	fmt.Fprintf(p.out, "  %-28s every metric and gate result\n", SummaryFile)
	if rec := p.m.Stage(StageReport); rec != nil && rec.Status == StatusDone {
		fmt.Fprintf(p.out, "  %-28s the report, with plots\n", ReportFile)
	}
	for _, e := range sum.Exports {
		fmt.Fprintf(p.out, "  %-28s export, %s\n", e.Path, units.Bytes(e.Size))
	}
}
