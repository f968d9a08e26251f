package pipeline

import (
	"testing"

	"github.com/distill-dev/distill/kernels/cpu"
)

// TestBF16MatmulSetting: training.bf16_matmul opens the CPU backend with
// training.threads, and changes the teach stage's inputs (its soft labels
// are the teacher's bf16 products) only when the stage writes a cache.
func TestBF16MatmulSetting(t *testing.T) {
	dir := t.TempDir()
	r := testRecipe(t, dir, "training: {steps: 1, threads: 1, bf16_matmul: true}\n")
	b, err := openBackend(r)
	if err != nil {
		t.Fatal(err)
	}
	if want := cpu.New(1).Name(); b.Name() != want {
		t.Errorf("backend %q, want %q", b.Name(), want)
	}
	if s := (Teach{}).Inputs(r).Settings; s != nil {
		t.Errorf("online soft labels: teach settings %v, want none (teach runs no teacher)", s)
	}
	cached := "distillation: {soft_labels: {mode: cached}}\n"
	on := testRecipe(t, dir, cached+"training: {steps: 1, bf16_matmul: true}\n")
	off := testRecipe(t, dir, cached+"training: {steps: 1}\n")
	if got := (Teach{}).Inputs(on).Settings["training.bf16_matmul"]; got != "true" {
		t.Errorf("cached soft labels with bf16_matmul: teach setting %q, want \"true\"", got)
	}
	if s := (Teach{}).Inputs(off).Settings; s != nil {
		t.Errorf("cached soft labels without bf16_matmul: teach settings %v, want none", s)
	}
}
