package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/distill-dev/distill/internal/progress"
	"github.com/distill-dev/distill/student"
)

func init() { register(teachCommand) }

func teachCommand(e *env) *cli.Command {
	c := &cli.Command{
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
			&cli.StringFlag{Name: "shard", Usage: "write only part i/n of the cache (zero-based i, e.g. a Kubernetes job's completion index or a Slurm array task id), " +
				"beside the other parts in the shared --out; then distill teach merge --out (training also reads unmerged parts)"},
			&cli.BoolFlag{Name: "json", Usage: "print the cache manifest as JSON"},
		),
		Subcommands:     []*cli.Command{teachMergeCommand(e)},
		HideHelpCommand: true,
	}
	// The merge subcommand needs none of teach's required flags, which
	// urfave/cli checks before choosing a subcommand: teach checks them.
	required := requiredFlags(c.Flags)
	c.Action = func(c *cli.Context) error {
		if err := checkRequired(c, required); err != nil {
			return err
		}
		if err := oneArg(c, "TEACHER"); err != nil {
			return err
		}
		return runTeach(e, c)
	}
	return c
}

func teachMergeCommand(e *env) *cli.Command {
	return &cli.Command{
		Name: "merge",
		Usage: "merge the parts written by distill teach --shard i/n into --out's manifest.json " +
			"(the single-process cache, bit for bit); refuses missing or unfinished parts and parts of other inputs, overwrites nothing",
		Flags: []cli.Flag{&cli.StringFlag{Name: "out", Required: true, Usage: "the cache directory the parts were written to"}},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("distill teach merge takes no arguments (got %q): name the cache with --out", c.Args().Slice())
			}
			m, err := student.WriteMerged(c.String("out"))
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "merged %d windows in %d shards into %s\n", m.Windows, len(m.Shards), filepath.Join(c.String("out"), student.ManifestFile))
			return nil
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
	if spec := c.String("shard"); spec != "" {
		if j.Part, err = student.ParsePart(spec); err != nil {
			return fmt.Errorf("--shard: %w", err)
		}
	}
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
	var bar *progress.Bar // sized by the first report: the shards this process writes
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m, err := s.Teach(ctx, func(done, total int) {
		if bar == nil {
			bar = e.newBar(int64(total), "teach", "shards")
		}
		bar.Set(int64(done))
	})
	if bar == nil {
		bar = e.newBar(0, "teach", "shards")
	}
	if err != nil {
		bar.Stop()
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: rerun the same command to resume after the last finished shard in %s", out)
		}
		return err
	}
	bar.Finish()
	if c.Bool("json") {
		return writeJSON(e.stdout, struct {
			Out      string `json:"out"`
			Manifest any    `json:"manifest"`
		}{out, m})
	}
	fmt.Fprintf(e.stdout, "wrote %d windows of %d tokens (top-%d at T=%g) in %d shards to %s\n",
		m.Windows, m.SeqLen, m.K, m.Temperature, len(m.Shards), out)
	return nil
}

// requiredFlags clears Required on flags (string flags: the only kind
// teach requires) and returns their names, for checkRequired.
func requiredFlags(flags []cli.Flag) []string {
	var names []string
	for i, f := range flags {
		if sf, ok := f.(*cli.StringFlag); ok && sf.Required {
			copied := *sf // a fresh flag: dataFlags' are train's too
			copied.Required = false
			flags[i] = &copied
			names = append(names, sf.Name)
		}
	}
	return names
}

// checkRequired is urfave/cli's required-flag check, with its message.
func checkRequired(c *cli.Context, names []string) error {
	var missing []string
	for _, n := range names {
		if !c.IsSet(n) {
			missing = append(missing, strconv.Quote(n))
		}
	}
	switch len(missing) {
	case 0:
		return nil
	case 1:
		//lint:ignore ST1005 the same words as urfave/cli's own missing-flag error
		return fmt.Errorf("Required flag %s not set", missing[0])
	}
	//lint:ignore ST1005 the same words as urfave/cli's own missing-flag error
	return fmt.Errorf("Required flags %s not set", strings.Join(missing, ", "))
}
