package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/distill-dev/distill/pipeline"
	"github.com/distill-dev/distill/recipe"
)

func init() { register(runCommand) }

func runCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run a recipe: teach, train, eval, quantize, export, report, then check its gates (exit 3 when one fails)",
		ArgsUsage: "RECIPE.yaml",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "from", Usage: "re-run this stage and every later one"},
			&cli.StringFlag{Name: "only", Usage: "run only this stage (earlier stages must have completed)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "print which stages would run or be skipped, and the memory estimate"},
			&cli.BoolFlag{Name: "force", Usage: "use an existing non-empty output folder that is not a distill run directory (nothing distill did not create is deleted)"},
			&cli.BoolFlag{Name: "json", Usage: "print the plan and progress on stderr and, at the end, summary.json with the result paths on stdout"},
		},
		Action: func(c *cli.Context) error {
			if err := oneArg(c, "RECIPE"); err != nil {
				return err
			}
			r, err := pipeline.Load(c.Args().First())
			if err != nil {
				return err
			}
			printWarnings(e, r)
			// Ctrl-C and SIGTERM end the current stage cleanly; the next run
			// resumes it.
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			out := e.stdout
			if c.Bool("json") {
				out = e.stderr
			}
			err = pipeline.Run(ctx, r, pipeline.Options{From: c.String("from"), Only: c.String("only"),
				DryRun: c.Bool("dry-run"), Force: c.Bool("force"), Out: out,
				Progress: e.stderr, ProgressMode: e.progress})
			if c.Bool("json") && !c.Bool("dry-run") {
				if jerr := writeRunJSON(e, r, err); jerr != nil {
					return errors.Join(err, jerr)
				}
			}
			var ge *pipeline.GateError
			if errors.As(err, &ge) {
				return withExitCode(exitGateFailed, err)
			}
			if err != nil && ctx.Err() != nil {
				return fmt.Errorf("%w\ninterrupted: run `distill run %s` again to resume; finished stages are kept and training continues from its last checkpoint", err, c.Args().First())
			}
			return err
		},
	}
}

// runReport is run's --json output: where the results are and, once the
// pipeline completed, summary.json's content.
type runReport struct {
	RunDir  string            `json:"run_dir"`
	Passed  bool              `json:"passed"`
	Error   string            `json:"error,omitempty"`
	Summary *pipeline.Summary `json:"summary,omitempty"`
	Paths   map[string]string `json:"paths,omitempty"` // summary, report: absolute paths
}

func writeRunJSON(e *env, r *recipe.Recipe, runErr error) error {
	dir := string(r.Output)
	rep := runReport{RunDir: dir}
	if runErr != nil {
		rep.Error = runErr.Error()
	}
	if b, err := os.ReadFile(filepath.Join(dir, pipeline.SummaryFile)); err == nil {
		var sum pipeline.Summary
		if err := json.Unmarshal(b, &sum); err != nil {
			return fmt.Errorf("%s: %w", pipeline.SummaryFile, err)
		}
		rep.Summary, rep.Passed = &sum, sum.Passed && runErr == nil
		rep.Paths = map[string]string{"summary": filepath.Join(dir, pipeline.SummaryFile), "report": filepath.Join(dir, filepath.FromSlash(pipeline.ReportFile))}
	}
	return writeJSON(e.stdout, rep)
}
