package cpu

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/distill-dev/distill/internal/spinwait"
)

// poolSpin is how long a worker that has finished a chunk polls for the
// next one, and parallelFor for its workers' chunks, before they sleep
// (internal/spinwait): with sleeping workers, 2 threads ran the random
// 95M Q4_K_M model's prompt processing at 1,731-1,789 tokens/s and its
// generation at 204-213; polling, 2,945-3,305 and 380-455 (stories3M:
// 18-21k -> 31-36k and 2.3-3.1k -> 4.0-6.2k), 2026-12-02.
const poolSpin = time.Millisecond

// workerPool runs the chunks of a parallel loop on persistent goroutines, so
// a row-wise op costs a channel send per chunk rather than a goroutine start.
type workerPool struct {
	threads int
	once    sync.Once
	work    chan poolTask
}

type poolTask struct {
	fn     func(lo, hi int)
	lo, hi int
	left   *atomic.Int32 // chunks not yet done
	wg     *sync.WaitGroup
}

func newWorkerPool(threads int) *workerPool {
	return &workerPool{threads: threads}
}

func (p *workerPool) start() {
	p.work = make(chan poolTask, p.threads)
	for i := 0; i < p.threads-1; i++ {
		go func() {
			for {
				t := p.next()
				t.fn(t.lo, t.hi)
				t.left.Add(-1)
				t.wg.Done()
			}
		}()
	}
}

// parallelFor calls fn on disjoint ranges covering [0, n), each at least
// grain long (except when n < grain), using at most the pool's thread count.
// Ranges are contiguous and ordered, so fn can own rows lo..hi exclusively.
// fn must not call parallelFor itself: a nested call could wait on workers
// that are all blocked in the outer call.
func (p *workerPool) parallelFor(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	chunks := min(p.threads, (n+grain-1)/grain)
	if chunks <= 1 {
		fn(0, n)
		return
	}
	p.once.Do(p.start)
	var wg sync.WaitGroup
	var left atomic.Int32
	left.Store(int32(chunks - 1))
	wg.Add(chunks - 1)
	for c := 1; c < chunks; c++ {
		lo, hi := c*n/chunks, (c+1)*n/chunks
		p.work <- poolTask{fn: fn, lo: lo, hi: hi, left: &left, wg: &wg}
	}
	fn(0, n/chunks)
	spinwait.Until(poolSpin, func() bool { return left.Load() == 0 })
	wg.Wait()
}

// next returns the next chunk, polling for poolSpin before it sleeps.
func (p *workerPool) next() poolTask {
	var t poolTask
	if spinwait.Until(poolSpin, func() bool {
		select {
		case t = <-p.work:
			return true
		default:
			return false
		}
	}) {
		return t
	}
	return <-p.work
}

// parallelFor is b.pool.parallelFor.
func (b *Backend) parallelFor(n, grain int, fn func(lo, hi int)) {
	b.pool.parallelFor(n, grain, fn)
}
