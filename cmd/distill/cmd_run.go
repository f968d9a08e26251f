package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/distill-dev/distill/pipeline"
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
			err = pipeline.Run(ctx, r, pipeline.Options{From: c.String("from"), Only: c.String("only"),
				DryRun: c.Bool("dry-run"), Force: c.Bool("force"), Out: e.stdout})
			var ge *pipeline.GateError
			if errors.As(err, &ge) {
				return withExitCode(exitGateFailed, err)
			}
			return err
		},
	}
}
