package main

import (
	"strings"
	"testing"

	"github.com/distill-dev/distill/kernels/cpu"
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
