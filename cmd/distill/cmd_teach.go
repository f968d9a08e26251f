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
			&cli.IntFlag{Name: "shard-windows", Usage: "windows per shard file (0 = about 64 MiB per shard, as distill run writes)"},
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
	j, err := flagJob(e, c)
	if err != nil {
		return err
	}
	out := c.String("out")
	j.SoftLabels, j.ShardWindows = out, c.Int("shard-windows")
	j.Options.TopK, j.Options.Loss.Temperature = c.Int("top-k"), float32(c.Float64("temperature"))
	b, err := openBackend(e)
	if err != nil {
		return err
	}
	s, err := j.Open(b)
	if err != nil {
		return err
	}
	defer s.Close()
	// Resuming the same cache needs no --force; anything else in --out does.
	want := s.TeachManifest()
	if why := student.CacheMismatch(out, want); why != nil {
		if err := guardOutput("--out", out, c.Bool("force"), j.Teacher, c.String("data")); err != nil {
			return fmt.Errorf("%w; it is not this cache: %v", err, why)
		}
	}
	shards := int64(((s.Train.Len()-1)/j.SeqLen + want.ShardWindows - 1) / max(want.ShardWindows, 1))
	bar := e.newBar(shards, "teach", "shards")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m, err := s.Teach(ctx, func(done, _ int) { bar.Set(int64(done)) })
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
