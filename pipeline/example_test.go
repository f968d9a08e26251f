package pipeline_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/distill-dev/distill/internal/atomicfile"
	"github.com/distill-dev/distill/pipeline"
	"github.com/distill-dev/distill/recipe"
)

// hello is a custom stage: it reads the recipe's name and writes one file.
type hello struct{}

func (hello) Name() string { return "hello" }

func (hello) Inputs(r *recipe.Recipe) pipeline.Inputs {
	return pipeline.Inputs{Sections: []string{"name"}}
}

func (hello) Run(ctx context.Context, env *pipeline.Env) ([]string, error) {
	out := filepath.Join(env.Dir(), "hello.txt")
	err := atomicfile.Write(out, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "hello, %s\n", env.Recipe.Name)
		return err
	})
	return []string{env.Rel(out)}, err
}

// Example runs a one-stage pipeline twice: the second run finds its
// inputs unchanged and its output intact, and skips it.
func Example() {
	dir, err := os.MkdirTemp("", "pipeline")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	src := "name: demo\noutput: run\nteacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {}\n"
	r, err := recipe.Parse(filepath.Join(dir, "recipe.yaml"), []byte(src))
	if err != nil {
		log.Fatal(err)
	}
	for range 2 {
		plan := &planWriter{}
		if err := pipeline.Run(context.Background(), r, pipeline.Options{Stages: []pipeline.Stage{hello{}}, Out: plan}); err != nil {
			log.Fatal(err)
		}
		fmt.Print(plan.first)
	}
	m, _ := pipeline.LoadManifest(filepath.Join(dir, "run"))
	fmt.Println(m.Stage("hello").Status, m.Stage("hello").Outputs[0].Path)
	// Output:
	// hello     run: never run
	// hello     skip: up to date
	// done hello/hello.txt
}

// planWriter keeps the first line written to it (the stage's decision).
type planWriter struct{ first string }

func (p *planWriter) Write(b []byte) (int, error) {
	if p.first == "" {
		p.first = string(b)
	}
	return len(b), nil
}
