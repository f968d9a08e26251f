// Command distill distils and quantizes Transformer language models: it
// inspects, evaluates and generates with checkpoints, caches a teacher's
// soft labels (teach), trains students (train), quantizes and exports them,
// and runs the whole pipeline from a recipe (run, validate). Each command
// lives in its own cmd_*.go file and registers itself with register; the
// commands only read flags and call the packages (teach and train fill the
// student.Job that the recipe stages fill too). This file holds the app,
// the global flags and the one place where errors become exit codes.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/distill-dev/distill/internal/progress"
)

// Exit codes. Every error ends the process through exitCode, so a command
// that needs a distinct code returns an error wrapped by withExitCode.
const (
	exitOK         = 0
	exitError      = 1 // any failure: bad input, I/O, a model that will not load
	exitGateFailed = 3 // the run worked but a quality gate failed (distill run)
)

// exitCoded carries a non-default exit code through error wrapping.
type exitCoded struct {
	code int
	err  error
}

func (e *exitCoded) Error() string { return e.err.Error() }
func (e *exitCoded) Unwrap() error { return e.err }

// withExitCode makes err end the process with code (e.g. exitGateFailed).
func withExitCode(code int, err error) error { return &exitCoded{code, err} }

// exitCode maps the error a command returned to the process exit status.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ec *exitCoded
	if errors.As(err, &ec) {
		return ec.code
	}
	return exitError
}

// commands is filled by register, called from each cmd_*.go file's init.
var commands []func(env *env) *cli.Command

func register(c func(env *env) *cli.Command) { commands = append(commands, c) }

// env is what commands share: output streams, the global settings and the
// hooks that load models (replaced by fakes in tests).
type env struct {
	stdout, stderr io.Writer
	device         string
	threads        int
	bf16Matmul     bool
	noRepack       bool
	progress       progress.DisplayMode
	models         modelHooks
}

func main() {
	os.Exit(run(os.Args, os.Stdout, os.Stderr, teacherHooks()))
}

// run executes one command line and returns the exit status; errors are
// printed to stderr as "distill: <message>".
func run(args []string, stdout, stderr io.Writer, hooks modelHooks) int {
	e := &env{stdout: stdout, stderr: stderr, models: hooks}
	app := newApp(e)
	err := runApp(app, hoistFlags(app, args))
	if err != nil {
		fmt.Fprintf(stderr, "distill: %v\n", err)
	}
	return exitCode(err)
}

// runApp runs the app, turning a package's argument-check panic (a
// "kernels: ..." or "model: ..." message: a caller mistake the command
// should have refused before) into an error naming the command, the last
// line of defence that keeps a stack trace from the user. Other panics
// (runtime errors) propagate.
func runApp(app *cli.App, args []string) (err error) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		msg := fmt.Sprint(p)
		if pe, ok := p.(error); ok {
			msg = pe.Error()
		}
		pkg, _, _ := strings.Cut(msg, ":")
		if !argumentPanicPackages[pkg] {
			panic(p)
		}
		cmd := "distill"
		if len(args) > 1 {
			if c := app.Command(commandName(app, args)); c != nil {
				cmd += " " + c.Name
			}
		}
		err = fmt.Errorf("%s: these arguments reached a kernel that refused them (%s): check the flags' values against the model, and please report this as a bug", cmd, msg)
	}()
	return app.Run(args)
}

// argumentPanicPackages are the packages whose panics are argument checks.
var argumentPanicPackages = map[string]bool{"kernels": true, "kernels/cpu": true, "kernels/cuda": true, "model": true, "student": true}

// commandName is the first argument after the global flags (hoistFlags has
// moved them in front).
func commandName(app *cli.App, args []string) string {
	for i := 1; i < len(args); i++ {
		a := args[i]
		if len(a) > 1 && a[0] == '-' {
			name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if f := findFlag(app.Flags, name); f != nil && !hasValue && takesValue(f) {
				i++
			}
			continue
		}
		return a
	}
	return ""
}

func newApp(e *env) *cli.App {
	app := &cli.App{
		Name:            "distill",
		Usage:           "distil and quantize Transformer language models",
		Version:         version,
		Writer:          e.stdout,
		ErrWriter:       e.stderr,
		HideHelpCommand: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "device", Value: "cpu", Usage: "compute device: cpu, cuda, cuda:N"},
			&cli.IntFlag{Name: "threads", Usage: "CPU threads (0 = all cores)"},
			&cli.BoolFlag{Name: "bf16-matmul", Usage: "cpu: multiply BF16 weights in bf16 (activations rounded to bf16, float32 sums) where the CPU has AMX/AVX512_BF16; faster, slightly different numbers"},
			&cli.BoolFlag{Name: "no-repack", Usage: "cpu: keep quantized weights in their file layout (as llama.cpp's --no-repack): no second copy of the Q8_0/Q4_0/Q4_K/Q5_K/Q6_K matrices in memory, slower products"},
			&cli.StringFlag{Name: "progress", Value: "auto", Usage: "progress display: auto (bar on a terminal, lines otherwise), bar, lines, none"},
		},
		Before: func(c *cli.Context) error {
			e.device = c.String("device")
			e.threads = c.Int("threads")
			e.bf16Matmul = c.Bool("bf16-matmul")
			e.noRepack = c.Bool("no-repack")
			if err := checkThreads(e.threads); err != nil {
				return err
			}
			if e.threads > 0 {
				runtime.GOMAXPROCS(e.threads)
			}
			m, ok := map[string]progress.DisplayMode{"auto": progress.ModeAuto, "bar": progress.ModeBar, "lines": progress.ModeLines, "none": progress.ModeQuiet}[c.String("progress")]
			if !ok {
				return fmt.Errorf("--progress %q: want auto, bar, lines or none", c.String("progress"))
			}
			e.progress = m
			return nil
		},
		// Errors are printed and turned into exit codes by run alone.
		ExitErrHandler: func(*cli.Context, error) {},
		Action:         rootAction,
		OnUsageError:   usageError,
	}
	for _, mk := range commands {
		c := mk(e)
		c.OnUsageError = usageError
		if before := c.Before; before != nil {
			c.Before = func(ctx *cli.Context) error {
				if err := checkFlags(ctx); err != nil {
					return err
				}
				return before(ctx)
			}
		} else {
			c.Before = checkFlags
		}
		app.Commands = append(app.Commands, c)
	}
	sort.Slice(app.Commands, func(i, j int) bool { return app.Commands[i].Name < app.Commands[j].Name })
	return app
}

// oneArg checks that the command got exactly one positional argument.
func oneArg(c *cli.Context, what string) error {
	if c.NArg() != 1 {
		return fmt.Errorf("%s takes one %s argument, got %d", c.Command.Name, what, c.NArg())
	}
	return nil
}

// newBar starts a progress report on stderr in the mode --progress chose.
func (e *env) newBar(total int64, desc, unit string) *progress.Bar {
	return progress.New(total, desc, progress.Options{Writer: e.stderr, Mode: e.progress, Unit: unit})
}
