package pipeline

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distill-dev/distill/internal/atomicfile"
	"github.com/distill-dev/distill/recipe"
)

// testRecipe parses a recipe whose output is dir; extra is appended YAML.
func testRecipe(t testing.TB, dir, extra string) *recipe.Recipe {
	t.Helper()
	src := fmt.Sprintf("name: fake\noutput: %s\nteacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {every_k: 2}\n%s", dir, extra)
	r, err := recipe.Parse(filepath.Join(dir, "recipe.yaml"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// fakeStage writes <name>/out.txt holding its name, the canonical recipe
// sections it reads and the outputs of the stages before it, so its output
// changes exactly when its inputs do. steps > 0 makes it a long stage that
// checkpoints its progress (like train) in <name>/state, one step every
// delay.
type fakeStage struct {
	name     string
	sections []string
	files    []string
	steps    int
	delay    time.Duration
	fail     error
	runs     int
	resumed  int
}

func (f *fakeStage) Name() string { return f.name }
func (f *fakeStage) Inputs(r *recipe.Recipe) Inputs {
	return Inputs{Sections: f.sections, Files: f.files}
}

func (f *fakeStage) Run(ctx context.Context, env *Env) ([]string, error) {
	f.runs++
	if env.Resume {
		f.resumed++
	}
	if f.fail != nil {
		return nil, f.fail
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", f.name)
	for _, s := range f.sections {
		c, err := env.Recipe.Canonical(s)
		if err != nil {
			return nil, err
		}
		b.Write(c)
		b.WriteByte('\n')
	}
	for _, rec := range env.Manifest.Stages {
		if rec.Name == f.name {
			break
		}
		for _, o := range rec.Outputs {
			c, err := os.ReadFile(env.Path(o.Path))
			if err != nil {
				return nil, err
			}
			b.Write(c)
		}
	}
	// The long part: a counter checkpointed after every step. Its final
	// value only depends on the number of steps, so an interrupted and
	// resumed run ends like an uninterrupted one.
	state := filepath.Join(env.Dir(), "state")
	step := 0
	if env.Resume {
		if c, err := os.ReadFile(state); err == nil {
			fmt.Sscan(string(c), &step)
		}
	}
	for ; step < f.steps; step++ {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(f.delay):
		}
		if err := atomicfile.Write(state, func(w io.Writer) error { _, err := fmt.Fprint(w, step+1); return err }); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(&b, "steps %d\n", step)
	out := filepath.Join(env.Dir(), "out.txt")
	if err := atomicfile.Write(out, func(w io.Writer) error { _, err := io.WriteString(w, b.String()); return err }); err != nil {
		return nil, err
	}
	return []string{env.Rel(out)}, nil
}

// fakePipeline is six fake stages reading the sections the real ones read.
func fakePipeline() []*fakeStage {
	return []*fakeStage{
		{name: StageTeach, sections: []string{"teacher"}},
		{name: StageTrain, sections: []string{"teacher", "data", "student", "distillation", "training"}},
		{name: StageEval, sections: []string{"evaluation"}},
		{name: StageQuantize, sections: []string{"quantization"}},
		{name: StageExport, sections: []string{"export"}},
		{name: StageReport, sections: []string{"gates"}},
	}
}

func asStages(fs []*fakeStage) []Stage {
	s := make([]Stage, len(fs))
	for i, f := range fs {
		s[i] = f
	}
	return s
}

func runs(fs []*fakeStage) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprint(&b, f.runs)
	}
	return b.String()
}
