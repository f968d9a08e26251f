package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/distill-dev/distill/recipe"
)

// rootAction runs for "distill" without a known command: help for no
// arguments, an error suggesting the nearest command otherwise.
func rootAction(c *cli.Context) error {
	if c.NArg() == 0 {
		return cli.ShowAppHelp(c)
	}
	word := c.Args().First()
	var names []string
	for _, cmd := range c.App.Commands {
		names = append(names, cmd.Names()...)
	}
	hint := ""
	if near := recipe.Nearest(word, names); near != "" {
		hint = fmt.Sprintf(": did you mean %q?", near)
	}
	return fmt.Errorf("unknown command %q%s (distill --help lists the commands)", word, hint)
}

// usageError adds the nearest flag to an unknown-flag error and points at
// the command's help.
func usageError(c *cli.Context, err error, _ bool) error {
	help := "distill --help"
	var flags []cli.Flag
	if c.Command != nil && c.Command.Name != "" {
		help = c.Command.HelpName + " --help"
		flags = append(flags, c.Command.Flags...)
	}
	flags = append(flags, c.App.Flags...)
	const undefined = "flag provided but not defined: "
	if msg := err.Error(); strings.HasPrefix(msg, undefined) {
		name := strings.TrimLeft(strings.TrimPrefix(msg, undefined), "-")
		var names []string
		for _, f := range flags {
			names = append(names, f.Names()...)
		}
		if near := recipe.Nearest(name, names); near != "" {
			return fmt.Errorf("unknown flag --%s: did you mean --%s? (see %s)", name, near, help)
		}
		return fmt.Errorf("unknown flag --%s (see %s)", name, help)
	}
	return fmt.Errorf("%w (see %s)", err, help)
}
