package cpu

import (
	"sync/atomic"
	"testing"
)

// TestParallelFor checks that the chunks cover [0, n) exactly once, are at
// least grain long (but for n < grain), and use at most threads chunks.
func TestParallelFor(t *testing.T) {
	for _, threads := range []int{1, 2, 3, 8} {
		p := newWorkerPool(threads)
		for _, n := range []int{0, 1, 5, 64, 1000} {
			for _, grain := range []int{0, 1, 7, 100, 5000} {
				hits := make([]int32, n)
				var chunks atomic.Int32
				p.parallelFor(n, grain, func(lo, hi int) {
					chunks.Add(1)
					if hi-lo < min(max(grain, 1), n) {
						t.Errorf("threads %d n %d grain %d: chunk [%d, %d) shorter than the grain", threads, n, grain, lo, hi)
					}
					for i := lo; i < hi; i++ {
						atomic.AddInt32(&hits[i], 1)
					}
				})
				for i, h := range hits {
					if h != 1 {
						t.Fatalf("threads %d n %d grain %d: element %d visited %d times", threads, n, grain, i, h)
					}
				}
				if c := int(chunks.Load()); c > threads {
					t.Errorf("threads %d n %d grain %d: %d chunks", threads, n, grain, c)
				}
			}
		}
	}
}
