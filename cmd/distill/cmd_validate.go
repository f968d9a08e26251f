package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/distill-dev/distill/pipeline"
)

func init() { register(validateCommand) }

func validateCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "validate",
		Usage:     "check a recipe (keys, types, bounds, files, shapes against the teacher) without running it",
		ArgsUsage: "RECIPE.yaml",
		Action: func(c *cli.Context) error {
			if err := oneArg(c, "RECIPE"); err != nil {
				return err
			}
			r, err := pipeline.Load(c.Args().First())
			if err != nil {
				return err
			}
			printWarnings(e, r)
			stages := pipeline.Stages(r)
			names := make([]string, len(stages))
			for i, s := range stages {
				names[i] = s.Name()
			}
			fmt.Fprintf(e.stdout, "%s: ok (%s; stages %v; output %s)\n", r.File(), r.Name, names, r.Output)
			return nil
		},
	}
}
