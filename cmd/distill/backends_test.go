package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/kernels/qblock"
)

// TestOpenBackendBF16Matmul: --bf16-matmul opens the CPU backend with
// --threads (or cpu:N, which must then agree) and is refused on any other
// device.
func TestOpenBackendBF16Matmul(t *testing.T) {
	cases := []struct {
		device  string
		threads int
		err     string // "" for success
	}{
		{"cpu", 1, ""},
		{"cpu", 0, ""},
		{"cpu:2", 0, ""},
		{"cpu:2", 2, ""},
		{"cpu:2", 1, "give one of them"},
		{"cuda", 0, "--device cuda"},
	}
	for _, c := range cases {
		b, err := openBackend(&env{device: c.device, threads: c.threads, bf16Matmul: true})
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: err %v, want %q", c.device, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.device, err)
		case c.err == "" && c.threads > 0 && b.Name() != cpu.New(c.threads).Name():
			t.Errorf("%s --threads %d: backend %q, want %q", c.device, c.threads, b.Name(), cpu.New(c.threads).Name())
		}
	}
}

// TestOpenBackendNoRepack: --no-repack opens a CPU backend that keeps
// quantized weights in their file layout, so a long product takes the
// float path (the same numbers as float activations), where the default
// backend's panels round the activations to 8 bits.
func TestOpenBackendNoRepack(t *testing.T) {
	product := func(b kernels.Backend) []float32 {
		x := make([]float32, 24*256)
		w := make([]float32, 32*256)
		for i := range x {
			x[i] = float32(i%37) - 18
		}
		for i := range w {
			w[i] = float32(i%29)/7 - 2
		}
		out := b.Zeros(kernels.F32, 24, 32)
		b.MatMul(out, b.FromFloat32(kernels.F32, x, 24, 256), b.FromFloat32(kernels.Q4_0, w, 32, 256), false, true, 1, 0)
		return b.ToFloat32(out, nil)
	}
	b, err := openBackend(&env{device: "cpu", threads: 2, noRepack: true})
	if err != nil {
		t.Fatal(err)
	}
	got, want := product(b), product(cpu.NewWith(cpu.Options{Threads: 2, FloatActivations: true}))
	if !slices.Equal(got, want) {
		t.Errorf("--no-repack: the product differs from the float path's")
	}
	if qblock.PanelKernel(kernels.Q4_0) && slices.Equal(product(cpu.New(2)), want) {
		t.Errorf("the default backend's product equals the float path's: the panels did not run")
	}
}
