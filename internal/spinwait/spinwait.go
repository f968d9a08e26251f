// Package spinwait is the poll-then-sleep wait of the CPU kernels' thread
// pools (kernels/gemm's GEMM helpers, kernels/cpu's row-wise workers).
//
// Waking a sleeping goroutine means waking an idle OS thread, which took
// 0.1-0.6 ms on the project's 2-core VMs: longer than most of the work a
// pool hands out between two waits in a forward pass. So a goroutine
// that waits for work or for its peers first polls for a while, as
// OpenBLAS's and llama.cpp's threads do, yielding its processor now and
// then so that the goroutines it waits for can run, and only then sleeps.
package spinwait

import (
	"runtime"
	"time"
)

// Until polls ready until it reports true or about limit has passed,
// calling runtime.Gosched every 64 polls, and reports whether ready
// became true. The caller then blocks (on a channel, a condition) when it
// did not.
func Until(limit time.Duration, ready func() bool) bool {
	var t0 time.Time
	for i := 0; ; i++ {
		if ready() {
			return true
		}
		if i%64 != 63 {
			continue
		}
		if i == 63 {
			t0 = time.Now()
		} else if time.Since(t0) > limit {
			return false
		}
		runtime.Gosched()
	}
}
