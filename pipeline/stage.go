package pipeline

import (
	"context"
	"io"
	"os"
	"path/filepath"

	"github.com/distill-dev/distill/internal/progress"
	"github.com/distill-dev/distill/recipe"
)

// Stage names, in pipeline order.
const (
	StageTeach    = "teach"
	StageTrain    = "train"
	StageEval     = "eval"
	StageQuantize = "quantize"
	StageExport   = "export"
	StageReport   = "report"
)

// Stage is one step of the pipeline. Implementations write only under
// env.Dir() and must write every output atomically, so that a process
// killed at any point leaves either the old file or the complete new one.
type Stage interface {
	// Name is the stage's name, also its folder in the run directory.
	Name() string
	// Inputs lists what the stage reads from outside the run directory:
	// recipe sections and files. Outputs of earlier stages are hashed by
	// the runner and need not be listed.
	Inputs(r *recipe.Recipe) Inputs
	// Run does the work and returns the output files, as paths relative to
	// the run directory.
	Run(ctx context.Context, env *Env) ([]string, error)
}

// Inputs are the parts of the recipe and the files a stage reads.
type Inputs struct {
	Sections []string // top-level recipe sections ("teacher", "training", ...)
	Files    []string // absolute paths of files or folders read
	// Settings are single recipe values outside Sections that change the
	// stage's outputs, by dotted name (training.bf16_matmul for teach):
	// hashing their whole section would redo the stage on unrelated edits.
	Settings map[string]string
}

// Env is what a running stage sees.
type Env struct {
	Recipe *recipe.Recipe
	// RunDir is the run directory; Dir() the stage's own folder in it.
	RunDir string
	// Resume is set when the stage was interrupted earlier with the same
	// inputs: its folder was kept, and a stage that checkpoints continues.
	Resume bool
	// Log receives progress lines.
	Log io.Writer
	// Manifest is the run's manifest, to find earlier stages' outputs.
	Manifest *Manifest
	// ProgressOut and ProgressMode are where and how Progress reports (the
	// run's --progress); a nil ProgressOut shows nothing.
	ProgressOut  io.Writer
	ProgressMode progress.DisplayMode

	stage string
}

// Progress starts the stage's progress report towards total units (a bar,
// or lines with rate and ETA, as the run chose). The caller ends it with
// Finish or Stop.
func (e *Env) Progress(total int64, unit string) *progress.Bar {
	mode, w := e.ProgressMode, e.ProgressOut
	if w == nil {
		mode, w = progress.ModeQuiet, io.Discard
	}
	return progress.New(total, e.stage, progress.Options{Writer: w, Mode: mode, Unit: unit})
}

// Dir is the stage's folder, <run>/<stage>.
func (e *Env) Dir() string { return filepath.Join(e.RunDir, e.stage) }

// Path joins elem to the run directory.
func (e *Env) Path(elem ...string) string {
	return filepath.Join(append([]string{e.RunDir}, elem...)...)
}

// Rel turns a path under the run directory into the relative form Run
// returns.
func (e *Env) Rel(path string) string {
	rel, err := filepath.Rel(e.RunDir, path)
	if err != nil {
		panic("pipeline: Rel: " + err.Error())
	}
	return filepath.ToSlash(rel)
}

// Output returns the absolute path of an output of an earlier stage whose
// relative path is rel, or "" when that stage recorded no such output.
func (e *Env) Output(stage, rel string) string {
	rec := e.Manifest.Stage(stage)
	if rec == nil {
		return ""
	}
	for _, o := range rec.Outputs {
		if o.Path == rel {
			return e.Path(rel)
		}
	}
	return ""
}

// exists reports whether path exists.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
