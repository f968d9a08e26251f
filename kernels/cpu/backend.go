package cpu

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"github.com/distill-dev/distill/kernels"
)

func init() {
	kernels.Register("cpu", func(device string) (kernels.Backend, error) {
		// "cpu" uses every core; "cpu:N" pins the worker count to N.
		_, arg, ok := strings.Cut(device, ":")
		if !ok || arg == "" {
			return New(0), nil
		}
		n, err := strconv.Atoi(arg)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("kernels/cpu: device %q: thread count %q is not a non-negative integer", device, arg)
		}
		if err := kernels.CheckThreads("kernels/cpu: device "+device+": threads", n); err != nil {
			return nil, err
		}
		return New(n), nil
	})
}

// Backend is the pure-Go CPU implementation of kernels.Backend.
type Backend struct {
	threads int
	pool    *workerPool
	ropes   ropeCache
}

// New returns a CPU backend running its row-parallel loops on threads
// goroutines; threads <= 0 means runtime.GOMAXPROCS(0).
func New(threads int) kernels.Backend {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	return &Backend{threads: threads, pool: newWorkerPool(threads)}
}

// Name returns "cpu" (with the thread count when it is not GOMAXPROCS).
func (b *Backend) Name() string {
	if b.threads == runtime.GOMAXPROCS(0) {
		return "cpu"
	}
	return "cpu:" + strconv.Itoa(b.threads)
}

// Threads returns the number of goroutines the backend's loops use.
func (b *Backend) Threads() int { return b.threads }

// Sync is a no-op: every CPU operation has finished when its method returns.
func (b *Backend) Sync() {}
