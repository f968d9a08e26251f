package student

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/distill-dev/distill/corpus"
	"github.com/distill-dev/distill/kernels/cpu"
)

// TestJobTrainsAlikeFromDiskStream: a job whose training text is tokenised
// on disk (as a corpus over corpus.SpillBytes is) trains to the same
// losses and gradient norms, bit for bit, as one tokenised in memory.
func TestJobTrainsAlikeFromDiskStream(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the quickstart student twice")
	}
	qs := "../testdata/quickstart"
	train := func(spill int64) (trace []float64) {
		t.Helper()
		old := corpus.SpillBytes
		corpus.SpillBytes = spill
		defer func() { corpus.SpillBytes = old }()
		o := kdOptions()
		o.Steps = 3
		j := &Job{Teacher: filepath.Join(qs, "teacher.bin"), Data: corpus.Split{Train: filepath.Join(qs, "valid.txt")},
			SeqLen: 32, Batch: 2, Seed: 7, Shape: Shape{EveryK: 2}, Options: o, Out: t.TempDir()}
		s, err := j.Open(cpu.New(2))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		tr, err := s.Trainer()
		if err != nil {
			t.Fatal(err)
		}
		tr.Opts.OnStep = func(m Metrics) { trace = append(trace, m.Loss, m.GradNorm) }
		if err := tr.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		return trace
	}
	mem, disk := train(1<<62), train(0)
	if len(mem) != 6 || !slices.Equal(mem, disk) {
		t.Errorf("losses and gradient norms from disk %v, from memory %v", disk, mem)
	}
}
