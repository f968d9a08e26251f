package gemm

import (
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/distill-dev/distill/kernels/half"
)

// TestAMXUnderSignals runs the AMX kernel on many goroutines while the
// process is flooded with signals (SIGURG, the runtime's preemption signal,
// sent from outside; SIGPROF from a CPU profile) and the GC runs in a loop:
// every result must equal, bit for bit, the one computed before. A signal
// that clobbered the tile registers (or failed to fit the AMX state on Go's
// signal stack) would change a result or crash.
func TestAMXUnderSignals(t *testing.T) {
	if !hasAMXBF16() {
		t.Skip("no AMX-BF16 (CPU or OS permission)")
	}
	defer withBF16Kernel(amxBF16Kernel)()
	// k = 600: 300 pairs, 18 full tile steps and a tail of 12.
	const m, n, k = 96, 128, 600
	rng := rand.New(rand.NewPCG(3, 4))
	a := randMatrix(rng, m*k)
	b := make([]uint16, n*k)
	half.F32ToBF16(b, randMatrix(rng, n*k))
	want := make([]float32, m*n)
	SgemmBF16BThreads(1, m, n, k, 1, a, k, b, k, 0, want, n)

	if err := pprof.StartCPUProfile(io.Discard); err == nil {
		defer pprof.StopCPUProfile()
	}
	var stop atomic.Bool
	var noise sync.WaitGroup
	noise.Add(2)
	go func() { // preemption signals, as fast as the runtime takes them
		defer noise.Done()
		for !stop.Load() {
			syscall.Kill(os.Getpid(), syscall.SIGURG)
		}
	}()
	go func() { // stop-the-world phases preempt every goroutine
		defer noise.Done()
		for !stop.Load() {
			runtime.GC()
			_ = make([]byte, 1<<16)
		}
	}()

	iters := 200
	if testing.Short() {
		iters = 30
	}
	var bad atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := make([]float32, m*n)
			for it := 0; it < iters; it++ {
				SgemmBF16BThreads(1+g%2, m, n, k, 1, a, k, b, k, 0, c, n)
				for i := range c {
					if c[i] != want[i] {
						bad.Add(1)
						break
					}
				}
			}
		}()
	}
	start := time.Now()
	wg.Wait()
	stop.Store(true)
	noise.Wait()
	if nb := bad.Load(); nb > 0 {
		t.Fatalf("%d of %d products differ from the first under signals", nb, 8*iters)
	}
	t.Logf("%d products under signals in %v", 8*iters, time.Since(start))
}
