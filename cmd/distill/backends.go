package main

import (
	"fmt"
	"strconv"

	"github.com/distill-dev/distill/kernels"
	// Backends register themselves with kernels from init. The CPU backend
	// is always built; backends_cuda.go ("//go:build cuda") blank-imports
	// github.com/distill-dev/distill/kernels/cuda the same way.
	"github.com/distill-dev/distill/kernels/cpu"
)

// openBackend opens --device, pinning the CPU backend to --threads;
// --bf16-matmul sets cpu.Options.BF16Compute.
func openBackend(e *env) (kernels.Backend, error) {
	dev := e.device
	if e.bf16Matmul {
		if dev != "cpu" {
			return nil, fmt.Errorf("--bf16-matmul: only the cpu device has it, not --device %q (use --device cpu and --threads)", dev)
		}
		return cpu.NewWith(cpu.Options{Threads: e.threads, BF16Compute: true}), nil
	}
	if dev == "cpu" && e.threads > 0 {
		dev = "cpu:" + strconv.Itoa(e.threads)
	}
	return kernels.Open(dev)
}
