package main

import (
	"fmt"

	"github.com/distill-dev/distill/kernels"
	// Backends register themselves with kernels from init. The CPU backend
	// is always built; backends_cuda.go ("//go:build cuda") blank-imports
	// github.com/distill-dev/distill/kernels/cuda the same way.
	_ "github.com/distill-dev/distill/kernels/cpu"
)

// openBackend opens --device with --threads, --bf16-matmul and
// --no-repack (kernels.OpenWith, as the recipe pipeline does).
func openBackend(e *env) (kernels.Backend, error) {
	b, err := kernels.OpenWith(e.device, kernels.OpenOptions{Threads: e.threads, BF16Matmul: e.bf16Matmul, NoRepack: e.noRepack})
	if err != nil {
		return nil, fmt.Errorf("--device %s: %w", e.device, err)
	}
	return b, nil
}
