package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/distill-dev/distill/internal/progress"
	"github.com/distill-dev/distill/recipe"
)

// Exit codes of distill run.
const (
	ExitOK         = 0
	ExitError      = 1 // any error: bad recipe, I/O, a stage that failed
	ExitGateFailed = 3 // the run worked but a gate failed
)

// ExitCode maps the error Run returned to the process exit status.
func ExitCode(err error) int {
	var ge *GateError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ge):
		return ExitGateFailed
	}
	return ExitError
}

// Options control Run.
type Options struct {
	From   string // re-run this stage and every later one
	Only   string // run only this stage; earlier stages' outputs must exist
	DryRun bool   // print the plan and memory estimate, run nothing
	// Force adopts an existing non-empty output folder that has no
	// manifest (stage folders distill did not create are still never
	// deleted).
	Force bool
	// Out receives the plan, stage progress and the gate table; nil: discarded.
	Out io.Writer
	// Progress receives the stages' progress bars or lines (with ETA) in
	// ProgressMode; nil: none.
	Progress     io.Writer
	ProgressMode progress.DisplayMode
	// Stages replaces the stages built from the recipe (tests, custom
	// pipelines); nil: Stages(r).
	Stages []Stage
}

// decision is one line of the plan: whether a stage runs and why.
type decision struct {
	Stage  string
	Run    bool
	Resume bool
	Reason string
}

// Run executes the recipe's pipeline in its output directory. It returns a
// *GateError when every stage succeeded but a gate failed.
func Run(ctx context.Context, r *recipe.Recipe, opts Options) error {
	out := opts.Out
	if out == nil {
		out = io.Discard
	}
	stages := opts.Stages
	if stages == nil {
		stages = Stages(r)
	}
	names := make([]string, len(stages))
	for i, s := range stages {
		names[i] = s.Name()
	}
	for _, f := range []struct{ flag, v string }{{"--from", opts.From}, {"--only", opts.Only}} {
		if f.v != "" && !slices.Contains(names, f.v) {
			return fmt.Errorf("pipeline: %s %s: no such stage in this recipe (stages: %s)", f.flag, f.v, strings.Join(names, ", "))
		}
	}
	if opts.From != "" && opts.Only != "" {
		return fmt.Errorf("pipeline: --from and --only exclude each other")
	}
	dir := string(r.Output)
	if err := checkRunDir(dir, opts.Force); err != nil {
		return err
	}
	if !opts.DryRun {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("pipeline: run directory: %w", err)
		}
		unlock, err := lockRunDir(dir)
		if err != nil {
			return err
		}
		defer unlock()
	}
	m, err := LoadManifest(dir)
	if err != nil {
		return err
	}
	m.Recipe = r.File()
	p := &runner{r: r, m: m, dir: dir, out: out, opts: opts, stages: stages}
	if opts.DryRun {
		return p.dryRun()
	}
	for i := range stages {
		if err := p.step(ctx, i); err != nil {
			return err
		}
	}
	return p.finish()
}

type runner struct {
	r      *recipe.Recipe
	m      *Manifest
	dir    string
	out    io.Writer
	opts   Options
	stages []Stage
	ran    string // first stage that ran in this invocation
}

// inputs hashes what stage i reads: its name, recipe sections, files, and
// every earlier stage's input hash and outputs.
func (p *runner) inputs(i int) (map[string]string, string, error) {
	s := p.stages[i]
	in := s.Inputs(p.r)
	parts := map[string]string{}
	for _, sec := range in.Sections {
		b, err := p.r.Canonical(sec)
		if err != nil {
			return nil, "", err
		}
		parts["recipe."+sec] = hashStrings(string(b))
	}
	for k, v := range in.Settings {
		parts["recipe."+k] = hashStrings(v)
	}
	for _, f := range in.Files {
		sum, err := p.m.hashInput(f)
		if err != nil {
			return nil, "", fmt.Errorf("pipeline: stage %s: %w", s.Name(), err)
		}
		parts["file:"+f] = sum
	}
	for _, u := range p.stages[:i] {
		rec := p.m.Stage(u.Name())
		if rec == nil || rec.Status != StatusDone {
			return nil, "", fmt.Errorf("pipeline: stage %s needs the outputs of stage %s, which has not completed (run without --only)", s.Name(), u.Name())
		}
		o := []string{rec.InputHash}
		for _, out := range rec.Outputs {
			o = append(o, out.Path, out.SHA256)
		}
		parts["stage:"+u.Name()] = hashStrings(o...)
	}
	keys := make([]string, 0, len(parts))
	for k := range parts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	all := []string{s.Name()}
	for _, k := range keys {
		all = append(all, k, parts[k])
	}
	return parts, hashStrings(all...), nil
}

// decide says whether stage i runs, given its current input hash.
func (p *runner) decide(i int, parts map[string]string, hash string) decision {
	name := p.stages[i].Name()
	st := decision{Stage: name, Run: true}
	rec := p.m.Stage(name)
	switch {
	case p.opts.Only != "" && name != p.opts.Only:
		st.Run, st.Reason = false, "not selected (--only "+p.opts.Only+")"
		return st
	case p.opts.Only == name:
		st.Reason = "selected by --only"
	case p.opts.From == name:
		st.Reason = "forced by --from"
	case p.ran != "":
		st.Reason = "upstream stage " + p.ran + " runs"
	case rec == nil:
		st.Reason = "never run"
	case rec.InputHash != hash:
		st.Reason = "inputs changed: " + changed(rec.Inputs, parts)
	case rec.Status == StatusRunning:
		st.Resume, st.Reason = true, "interrupted: resuming"
	case rec.Status == StatusFailed:
		st.Resume, st.Reason = true, "failed last time: "+rec.Error
	case rec.Status != StatusDone:
		st.Reason = "status " + rec.Status
	default:
		if ok, why := rec.intact(p.dir); !ok {
			st.Reason = "output " + why
		} else {
			st.Run, st.Reason = false, "up to date"
		}
	}
	return st
}

// changed names the inputs whose hashes differ.
func changed(old, cur map[string]string) string {
	var d []string
	for k, v := range cur {
		if old[k] != v {
			d = append(d, k)
		}
	}
	for k := range old {
		if _, ok := cur[k]; !ok {
			d = append(d, k+" (removed)")
		}
	}
	sort.Strings(d)
	if len(d) == 0 {
		return "stage definition"
	}
	return strings.Join(d, ", ")
}

// step decides and, if needed, runs stage i, recording everything in the
// manifest.
func (p *runner) step(ctx context.Context, i int) error {
	s := p.stages[i]
	name := s.Name()
	if p.opts.Only != "" && name != p.opts.Only {
		return nil
	}
	parts, hash, err := p.inputs(i)
	if err != nil {
		return err
	}
	st := p.decide(i, parts, hash)
	if !st.Run {
		fmt.Fprintf(p.out, "%-9s skip: %s\n", name, st.Reason)
		return nil
	}
	fmt.Fprintf(p.out, "%-9s run: %s\n", name, st.Reason)
	if p.ran == "" {
		p.ran = name
	}
	env := &Env{Recipe: p.r, RunDir: p.dir, Resume: st.Resume, Log: p.out, Manifest: p.m, stage: name,
		ProgressOut: p.opts.Progress, ProgressMode: p.opts.ProgressMode}
	if !st.Resume {
		if err := clearStageDir(p.m, name, env.Dir()); err != nil {
			return err
		}
	}
	// The record is saved before the folder exists, so every stage folder
	// distill creates is one its manifest names.
	rec := p.m.record(name)
	now := time.Now().UTC()
	*rec = StageRecord{Name: name, Status: StatusRunning, InputHash: hash, Inputs: parts, Started: &now}
	if err := p.m.Save(); err != nil {
		return err
	}
	if err := os.MkdirAll(env.Dir(), 0o755); err != nil {
		return fmt.Errorf("pipeline: stage %s: %w", name, err)
	}
	// Everything downstream is stale from now on.
	for _, d := range p.stages[i+1:] {
		if r := p.m.Stage(d.Name()); r != nil && r.Status == StatusDone {
			r.Status = StatusPending
		}
	}
	outs, err := s.Run(ctx, env)
	if err == nil {
		rec.Outputs, err = hashOutputs(p.dir, outs)
	}
	end := time.Now().UTC()
	rec.Finished, rec.Seconds = &end, end.Sub(now).Seconds()
	if err != nil {
		rec.Status, rec.Error = StatusFailed, err.Error()
		if serr := p.m.Save(); serr != nil {
			return errors.Join(err, serr)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("pipeline: stage %s interrupted: %w", name, err)
		}
		return fmt.Errorf("pipeline: stage %s: %w\n(fix the cause and run the same command again: finished stages are not redone)", name, err)
	}
	rec.Status = StatusDone
	fmt.Fprintf(p.out, "%-9s done in %.1fs\n", name, rec.Seconds)
	return p.m.Save()
}

func hashOutputs(dir string, outs []string) ([]Output, error) {
	res := make([]Output, 0, len(outs))
	for _, o := range outs {
		path := filepath.Join(dir, filepath.FromSlash(o))
		st, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("output %s: %w", o, err)
		}
		sum, size, err := hashFile(path)
		if err != nil {
			return nil, fmt.Errorf("output %s: %w", o, err)
		}
		res = append(res, Output{Path: o, SHA256: sum, Size: size, ModTime: st.ModTime()})
	}
	return res, nil
}

// dryRun prints the plan: stages whose hash can be computed now are
// decided exactly; after the first one that would run, everything runs.
func (p *runner) dryRun() error {
	fmt.Fprintf(p.out, "plan for %s in %s:\n", p.r.File(), p.dir)
	for i, s := range p.stages {
		var st decision
		if p.ran != "" && (p.opts.Only == "" || p.opts.Only == s.Name()) {
			st = p.decide(i, nil, "")
		} else if parts, hash, err := p.inputs(i); err != nil {
			if p.opts.Only == s.Name() {
				return err
			}
			st = decision{Stage: s.Name(), Run: p.opts.Only == "", Reason: "never completed"}
		} else {
			st = p.decide(i, parts, hash)
		}
		verb := "skip"
		if st.Run {
			verb = "run "
			if p.ran == "" {
				p.ran = s.Name()
			}
		}
		fmt.Fprintf(p.out, "  %-9s %s  %s\n", s.Name(), verb, st.Reason)
	}
	est, err := EstimateMemory(p.r)
	if err != nil {
		fmt.Fprintf(p.out, "memory estimate: unavailable: %v\n", err)
		return nil
	}
	fmt.Fprintf(p.out, "memory estimate (train stage, %s):\n%s", p.r.Training.Device, est)
	if lim := p.r.Training.MemoryBudget(); lim > 0 {
		if err := est.Check(lim); err != nil {
			fmt.Fprintf(p.out, "warning: %v\n", err)
		}
	}
	return nil
}
