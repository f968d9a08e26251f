package cpu_test

import (
	"testing"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/kernels/kerneltest"
)

func TestConformance(t *testing.T) {
	t.Run("threads=all", func(t *testing.T) { kerneltest.Run(t, cpu.New(0)) })
	t.Run("threads=1", func(t *testing.T) { kerneltest.Run(t, cpu.New(1)) })
	t.Run("threads=3", func(t *testing.T) { kerneltest.Run(t, cpu.New(3)) })
}

func TestOpen(t *testing.T) {
	for _, dev := range []string{"cpu", "cpu:1", "cpu:4"} {
		b, err := kernels.Open(dev)
		if err != nil {
			t.Fatalf("Open(%q): %v", dev, err)
		}
		if b.Name() == "" {
			t.Errorf("Open(%q): empty name", dev)
		}
	}
	if _, err := kernels.Open("cpu:x"); err == nil {
		t.Error(`Open("cpu:x") succeeded`)
	}
}
