package kernels

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Opener creates a backend for a device string such as "cpu" or "cuda:1"
// with the settings in o.
type Opener func(device string, o OpenOptions) (Backend, error)

// OpenOptions are a backend's settings beyond its device string: the CLI's
// --threads and --bf16-matmul and a recipe's training.threads and
// training.bf16_matmul all arrive here, so every caller opens a device the
// same way.
type OpenOptions struct {
	// Threads pins the CPU backend's worker count ("cpu:N" says the same;
	// 0 leaves it to the device string, whose default is every core).
	// Other backends ignore it: their host work is not row-parallel.
	Threads int
	// BF16Matmul multiplies bf16 weights in bf16 (activations rounded to
	// bf16, float32 sums) where the CPU has a native bf16 kernel
	// (cpu.Options.BF16Compute). Only the CPU backend has it; others
	// refuse it rather than silently computing something else.
	BF16Matmul bool
	// NoRepack keeps quantized weights in their file layout: the CPU
	// backend then runs them on one-row integer dot products up to 16
	// rows and on the float path beyond, instead of repacking Q8_0, Q4_0,
	// Q4_K, Q5_K and Q6_K matrices into panels (cpu.Options.NoRepack, as
	// llama.cpp's --no-repack): slower, without the panels' second copy
	// of those matrices in memory. Backends that do not repack ignore it.
	NoRepack bool
}

var (
	registryMu sync.Mutex
	registry   = map[string]Opener{}
)

// Register makes a backend available to Open under name (the part of a device
// string before any ':'). Backends call it from init, so that a build tag
// decides which ones exist (the CUDA backend only with -tags cuda).
func Register(name string, open Opener) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("kernels: backend " + name + " registered twice")
	}
	registry[name] = open
}

// Open returns the backend for device, e.g. "cpu", "cuda" or "cuda:1".
func Open(device string) (Backend, error) { return OpenWith(device, OpenOptions{}) }

// OpenWith returns the backend for device configured by o.
func OpenWith(device string, o OpenOptions) (Backend, error) {
	name, _, _ := strings.Cut(device, ":")
	registryMu.Lock()
	open, ok := registry[name]
	registryMu.Unlock()
	if !ok {
		if name == "cuda" {
			return nil, fmt.Errorf("kernels: device %q: this binary was built without CUDA support (rebuild with -tags cuda)", device)
		}
		return nil, fmt.Errorf("kernels: unknown device %q (available: %s)", device, strings.Join(Available(), ", "))
	}
	if err := CheckThreads("threads", o.Threads); err != nil {
		return nil, fmt.Errorf("kernels: device %q: %w", device, err)
	}
	return open(device, o)
}

// Available lists the registered backend names.
func Available() []string {
	registryMu.Lock()
	defer registryMu.Unlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
