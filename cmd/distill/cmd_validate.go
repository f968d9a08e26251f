package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/distill-dev/distill/pipeline"
	"github.com/distill-dev/distill/recipe"
)

func init() { register(validateCommand) }

// validateReport is validate's --json output.
type validateReport struct {
	Recipe   string          `json:"recipe"`
	OK       bool            `json:"ok"`
	Name     string          `json:"name,omitempty"`
	Stages   []string        `json:"stages,omitempty"`
	Output   string          `json:"output,omitempty"`
	Warnings []string        `json:"warnings,omitempty"`
	Errors   []validateError `json:"errors,omitempty"`
}

type validateError struct {
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func validateCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "validate",
		Usage:     "check a recipe (keys, types, bounds, files, shapes against the teacher) without running it",
		ArgsUsage: "RECIPE.yaml",
		Flags:     []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "machine-readable output (the errors too, with exit status 1)"}},
		Action: func(c *cli.Context) error {
			if err := oneArg(c, "RECIPE"); err != nil {
				return err
			}
			rep := validateReport{Recipe: c.Args().First()}
			r, err := pipeline.Load(c.Args().First())
			if err != nil {
				if c.Bool("json") {
					rep.Errors = validateErrors(err)
					if werr := writeJSON(e.stdout, rep); werr != nil {
						return werr
					}
				}
				return err
			}
			stages := pipeline.Stages(r)
			rep.OK, rep.Name, rep.Output = true, r.Name, string(r.Output)
			for _, s := range stages {
				rep.Stages = append(rep.Stages, s.Name())
			}
			if c.Bool("json") {
				for _, w := range r.Warnings() {
					rep.Warnings = append(rep.Warnings, w.Error())
				}
				return writeJSON(e.stdout, rep)
			}
			printWarnings(e, r)
			fmt.Fprintf(e.stdout, "%s: ok (%s; stages %v; output %s)\n", r.File(), r.Name, rep.Stages, r.Output)
			return nil
		},
	}
}

// validateErrors lists a recipe error's problems with their positions.
func validateErrors(err error) []validateError {
	var es recipe.Errors
	if errors.As(err, &es) {
		out := make([]validateError, len(es))
		for i, e := range es {
			out[i] = validateError{Line: e.Pos.Line, Column: e.Pos.Column, Field: e.Field, Message: e.Msg}
		}
		return out
	}
	var one *recipe.Error
	if errors.As(err, &one) {
		return []validateError{{Line: one.Pos.Line, Column: one.Pos.Column, Field: one.Field, Message: one.Msg}}
	}
	return []validateError{{Message: err.Error()}}
}

// printWarnings prints a recipe's deprecation warnings, one per line with
// file:line:column.
func printWarnings(e *env, r *recipe.Recipe) {
	for _, w := range r.Warnings() {
		fmt.Fprintf(e.stderr, "distill: warning: %v\n", w)
	}
}
