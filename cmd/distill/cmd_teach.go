package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/distill-dev/distill/student"
)

func init() { register(teachCommand) }

func teachCommand(e *env) *cli.Command {
	return &cli.Command{
		Name: "teach",
		Usage: "write TEACHER's top-k log-probabilities for a training set into a soft-label cache " +
			"(sharded, checksummed; an interrupted run resumes) for distill train --soft-labels",
		ArgsUsage: "TEACHER",
		Flags: append(dataFlags(),
			&cli.StringFlag{Name: "out", Required: true, Usage: "cache directory (manifest.json and soft-*.safetensors shards)"},
			&cli.IntFlag{Name: "top-k", Value: 64, Usage: "log-probabilities kept per position"},
			&cli.Float64Flag{Name: "temperature", Value: 2, Usage: "temperature of the stored log-probabilities (training must use the same)"},
			&cli.IntFlag{Name: "batch", Value: 8, Usage: "windows per teacher forward pass"},
			&cli.IntFlag{Name: "shard-windows", Value: 1024, Usage: "windows per shard file"},
			&cli.BoolFlag{Name: "force", Usage: "replace an existing --out that holds anything but this cache"},
		),
		Action: func(c *cli.Context) error {
			if err := oneArg(c, "TEACHER"); err != nil {
				return err
			}
			return runTeach(e, c)
		},
	}
}

func runTeach(e *env, c *cli.Context) error {
	in, err := loadInputs(e, c)
	if err != nil {
		return err
	}
	defer in.t.Close()
	T, sw := c.Int("seq-len"), c.Int("shard-windows")
	out := c.String("out")
	shards := int64(((len(in.tokens)-1)/T + sw - 1) / max(sw, 1))
	bar := e.newBar(shards, "teach", "shards")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	want := in.identity
	want.K, want.SeqLen, want.Temperature, want.ShardWindows = c.Int("top-k"), T, float32(c.Float64("temperature")), sw
	// Resuming the same cache needs no --force; anything else in --out does.
	if why := student.CacheMismatch(out, want); why != nil {
		if err := guardOutput("--out", out, c.Bool("force"), in.t.Path, c.String("data")); err != nil {
			return fmt.Errorf("%w; it is not this cache: %v", err, why)
		}
	}
	m, err := student.TeachProgress(ctx, out, in.t.Model, in.tokens, c.Int("batch"), want, func(done, _ int) { bar.Set(int64(done)) })
	if err != nil {
		bar.Stop()
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: rerun the same command to resume after the last finished shard in %s", out)
		}
		return err
	}
	bar.Finish()
	fmt.Fprintf(e.stdout, "wrote %d windows of %d tokens (top-%d at T=%g) in %d shards to %s\n",
		m.Windows, m.SeqLen, m.K, m.Temperature, len(m.Shards), out)
	return nil
}
