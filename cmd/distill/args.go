package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// hoistFlags reorders a command line so that urfave/cli, which stops
// parsing flags at the first positional argument, accepts flags anywhere:
// "distill eval MODEL --data F --device cpu" becomes
// "distill --device cpu eval --data F MODEL". Global flags move before the
// command, the command's flags before its positional arguments; everything
// after "--" stays positional. A subcommand ("distill teach merge") is
// a command of its own: its flags go after its name. Unknown flags are
// left in place for the parser to report.
func hoistFlags(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	var global, cmdFlags, positional []string
	var cmd *cli.Command
	var cmdName string
	var sub []string // the subcommand's name and flags
	rest := args[1:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "--" {
			positional = append(positional, rest[i:]...)
			break
		}
		if len(a) > 1 && a[0] == '-' {
			name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
			var f cli.Flag
			dst := &global
			if f = findFlag(app.Flags, name); f == nil && cmd != nil {
				// the (sub)command's flag; an unknown one its parser reports
				f, dst = findFlag(cmd.Flags, name), &cmdFlags
				if sub != nil {
					dst = &sub
				}
			}
			*dst = append(*dst, a)
			if f != nil && !hasValue && takesValue(f) && i+1 < len(rest) {
				i++
				*dst = append(*dst, rest[i])
			}
			continue
		}
		if cmd == nil && cmdName == "" {
			cmdName, cmd = a, app.Command(a)
			if cmd == nil { // unknown command or "help": leave the rest alone
				return append(append(append([]string{args[0]}, global...), a), rest[i+1:]...)
			}
			continue
		}
		if sub == nil && len(positional) == 0 && cmd.Command(a) != nil {
			sub, cmd = []string{a}, cmd.Command(a)
			continue
		}
		positional = append(positional, a)
	}
	out := append([]string{args[0]}, global...)
	if cmdName != "" {
		out = append(out, cmdName)
	}
	out = append(out, cmdFlags...)
	out = append(out, sub...)
	return append(out, positional...)
}

func findFlag(fs []cli.Flag, name string) cli.Flag {
	for _, f := range fs {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

func takesValue(f cli.Flag) bool {
	d, ok := f.(cli.DocGenerationFlag)
	return !ok || d.TakesValue()
}
