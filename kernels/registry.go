package kernels

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Opener creates a backend for a device string such as "cpu" or "cuda:1".
type Opener func(device string) (Backend, error)

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
func Open(device string) (Backend, error) {
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
	return open(device)
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
