package main

import (
	"strconv"

	"github.com/distill-dev/distill/kernels"
	// Backends register themselves with kernels from init. The CPU backend
	// is always built; backends_cuda.go ("//go:build cuda") blank-imports
	// github.com/distill-dev/distill/kernels/cuda the same way.
	_ "github.com/distill-dev/distill/kernels/cpu"
)

// openBackend opens --device, pinning the CPU backend to --threads.
func openBackend(e *env) (kernels.Backend, error) {
	dev := e.device
	if dev == "cpu" && e.threads > 0 {
		dev = "cpu:" + strconv.Itoa(e.threads)
	}
	return kernels.Open(dev)
}
