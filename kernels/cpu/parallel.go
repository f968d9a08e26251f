package cpu

import "sync"

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
	wg     *sync.WaitGroup
}

func newWorkerPool(threads int) *workerPool {
	return &workerPool{threads: threads}
}

func (p *workerPool) start() {
	p.work = make(chan poolTask, p.threads)
	for i := 0; i < p.threads-1; i++ {
		go func() {
			for t := range p.work {
				t.fn(t.lo, t.hi)
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
	for c := 1; c < chunks; c++ {
		lo, hi := c*n/chunks, (c+1)*n/chunks
		wg.Add(1)
		p.work <- poolTask{fn: fn, lo: lo, hi: hi, wg: &wg}
	}
	fn(0, n/chunks)
	wg.Wait()
}

// parallelFor is b.pool.parallelFor.
func (b *Backend) parallelFor(n, grain int, fn func(lo, hi int)) {
	b.pool.parallelFor(n, grain, fn)
}
