package gemm

import (
	"sync"
	"sync/atomic"
	"unsafe"
)

// serialWork is the size (m*n*k multiply-adds) below which a GEMM runs on
// the calling goroutine: starting goroutines and meeting at barriers costs
// a few microseconds, as much as a 96^3 product. A variable so that tests
// can send tiny problems through the parallel code.
var serialWork = 96 * 96 * 96

// Blocking beyond the kernel's own (mr, nr, mc, kc, nc):
const (
	// superRows bounds the rows of A packed at once (the shared packed A
	// is superRows x kc), so that a tall A does not need a huge buffer.
	superRows = 2048
	// taskPanels bounds the nr-wide panels of B one compute task covers.
	taskPanels = 8
	// tasksPerThread is how many compute tasks per goroutine a phase is
	// cut into at least (when the shape allows), so that a goroutine that
	// loses its core for a while delays the others by one small task.
	tasksPerThread = 4
)

// blocked runs p through the packed, cache-blocked algorithm (doc.go) on at
// most threads goroutines with micro-kernel kern.
func blocked(p *problem, threads int, kern *kernel) {
	mr, nr := kern.mr, kern.nr
	// Split k, then n, into near-equal blocks no larger than the kernel's:
	// k = 768 with kc = 512 runs as 2 x 384, not 512 + 256.
	kcUnit := 8
	if p.decode != nil {
		kcUnit = DecodeAlign // decode ranges must start and end aligned
	}
	kc := evenSplit(p.k, kern.kc, kcUnit)
	nc := evenSplit(p.n, kern.nc, nr)
	mbLimit := superRows
	if kern.mb > 0 {
		mbLimit = kern.mb
	}
	mb := evenSplit(p.m, mbLimit, mr)
	mc := evenSplit(min(p.m, mb), kern.mc, mr)
	if p.m*p.n*p.k < serialWork {
		threads = 1
	}
	d := &driver{p: p, kern: kern, kc: kc, nc: nc, mb: mb, mc: mc, threads: threads}
	bBuf, aBuf := getBuf(kc*ceilDiv(nc, nr)*nr), getBuf(kc*ceilDiv(mb, mr)*mr)
	defer putBuf(bBuf)
	defer putBuf(aBuf)
	d.a, d.b = *aBuf, *bBuf
	if threads == 1 {
		d.work()
		return
	}
	d.bar.init(threads, func() { d.next.Store(0) })
	var wg sync.WaitGroup
	wg.Add(threads - 1)
	for t := 1; t < threads; t++ {
		go func() {
			defer wg.Done()
			d.work()
		}()
	}
	d.work()
	wg.Wait()
}

// driver holds what the goroutines of one blocked GEMM share. Each of them
// runs work, which walks the same sequence of phases; within a phase the
// goroutines take tasks from the counter next, and a barrier (which also
// resets next) separates the phases.
type driver struct {
	p              *problem
	kern           *kernel
	kc, nc, mb, mc int
	threads        int
	a              []float32 // packed mb x kc block of op(A)
	b              []float32 // packed kc x nc block of op(B)
	next           atomic.Int64
	bar            barrier
}

// take returns the next task index of the current phase, or -1 when the
// phase's tasks are all taken.
func (d *driver) take(tasks int) int {
	if d.threads == 1 {
		// One goroutine: no atomics needed, but the same sequence.
		t := int(d.next.Load())
		if t >= tasks {
			d.next.Store(0)
			return -1
		}
		d.next.Store(int64(t + 1))
		return t
	}
	if t := int(d.next.Add(1) - 1); t < tasks {
		return t
	}
	return -1
}

// endPhase waits until every goroutine has finished the phase.
func (d *driver) endPhase() {
	if d.threads > 1 {
		d.bar.wait()
	}
}

// work is one goroutine's part of the whole product.
func (d *driver) work() {
	p, kern := d.p, d.kern
	mr, nr := kern.mr, kern.nr
	var rowBuf []float32
	if p.transB && p.b16 == nil {
		rb := getBuf(nr * d.kc)
		defer putBuf(rb)
		rowBuf = *rb
	}
	tmp := make([]float32, mr*nr)

	for jc := 0; jc < p.n; jc += d.nc {
		nc := min(d.nc, p.n-jc)
		panels := ceilDiv(nc, nr)
		for pc := 0; pc < p.k; pc += d.kc {
			kc := min(d.kc, p.k-pc)
			beta := p.beta
			if pc > 0 {
				beta = 1 // later k blocks add to what the first wrote
			}
			for ic0 := 0; ic0 < p.m; ic0 += d.mb {
				mb := min(d.mb, p.m-ic0)
				// Pack phase: the B block (once per jc, pc) and this
				// super-block of A, panel by panel (A four panels a task).
				bTasks := 0
				if ic0 == 0 {
					bTasks = panels
				}
				aPanels := ceilDiv(mb, mr)
				aTasks := ceilDiv(aPanels, 4)
				for t := d.take(bTasks + aTasks); t >= 0; t = d.take(bTasks + aTasks) {
					if t < bTasks {
						packB(d.b, p, kern, jc, nc, pc, kc, t, t+1, rowBuf)
						continue
					}
					s0 := (t - bTasks) * 4
					s1 := min(s0+4, aPanels)
					packA(d.a[s0*mr*kc:], p, ic0+s0*mr, min(s1*mr, mb)-s0*mr, pc, kc, kern)
				}
				d.endPhase()

				// Compute phase: tasks are (mc rows) x (chunk panels)
				// tiles of C, row blocks fastest so that goroutines
				// working at the same time share the B chunk.
				rowBlocks := ceilDiv(mb, d.mc)
				chunk := max(1, min(taskPanels, ceilDiv(panels*rowBlocks, tasksPerThread*d.threads)))
				chunks := ceilDiv(panels, chunk)
				for t := d.take(rowBlocks * chunks); t >= 0; t = d.take(rowBlocks * chunks) {
					ib, jb := t%rowBlocks, t/rowBlocks
					i0 := ib * d.mc
					q0 := jb * chunk
					d.macro(i0, ic0+i0, min(d.mc, mb-i0), jc, nc, q0, min(q0+chunk, panels), kc, beta, tmp)
				}
				d.endPhase()
			}
		}
	}
}

// macro multiplies rows [i0, i0+mcb) of the packed A block (C rows ic..) by
// panels [q0, q1) of the packed B block (C columns jc+q0*nr..).
func (d *driver) macro(i0, ic, mcb, jc, nc, q0, q1, kc int, beta float32, tmp []float32) {
	p, kern := d.p, d.kern
	mr, nr := kern.mr, kern.nr
	c, ldc, alpha := p.c, p.ldc, p.alpha
	for q := q0; q < q1; q++ {
		j := jc + q*nr
		cols := min(nr, jc+nc-j)
		bp := &d.b[q*nr*kc]
		steps := kc
		if kern.pairs {
			steps = (kc + 1) / 2 // packed panels hold k-pairs (bf16.go)
		}
		for ir := 0; ir < mcb; ir += mr {
			i := ic + ir
			ap := &d.a[(i0+ir)*kc]
			if rows := min(mr, mcb-ir); rows < mr || cols < nr {
				kern.micro(steps, ap, bp, &tmp[0], nr, 1, 0)
				mergeTile(c[i*ldc+j:], ldc, tmp, nr, rows, cols, alpha, beta)
			} else {
				kern.micro(steps, ap, bp, &c[i*ldc+j], ldc, alpha, beta)
			}
		}
	}
}

// mergeTile sets the rows x cols corner of C to alpha*tile + beta*C, not
// reading C when beta is 0.
func mergeTile(c []float32, ldc int, tile []float32, ldt, rows, cols int, alpha, beta float32) {
	for i := 0; i < rows; i++ {
		dst := c[i*ldc : i*ldc+cols]
		src := tile[i*ldt : i*ldt+cols]
		if beta == 0 {
			for j, v := range src {
				dst[j] = alpha * v
			}
			continue
		}
		for j, v := range src {
			dst[j] = alpha*v + beta*dst[j]
		}
	}
}

// span returns part i of n items split into parts contiguous ranges whose
// lengths differ by at most one.
func span(n, parts, i int) (lo, hi int) {
	return n * i / parts, n * (i + 1) / parts
}

// evenSplit returns the block size that splits n into the fewest blocks of
// at most limit, as evenly as possible, rounded up to a multiple of unit.
func evenSplit(n, limit, unit int) int {
	limit = max(unit, limit/unit*unit)
	blocks := max(1, ceilDiv(n, limit))
	return min(limit, ceilDiv(ceilDiv(n, blocks), unit)*unit)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// barrier is a reusable rendezvous for a fixed number of goroutines. The
// last to arrive runs last (before releasing the others).
type barrier struct {
	mu    sync.Mutex
	cond  sync.Cond
	n     int
	count int
	gen   uint64
	last  func()
}

func (b *barrier) init(n int, last func()) {
	b.n, b.last = n, last
	b.cond.L = &b.mu
}

func (b *barrier) wait() {
	b.mu.Lock()
	gen := b.gen
	b.count++
	if b.count == b.n {
		b.last()
		b.count = 0
		b.gen++
		b.cond.Broadcast()
	} else {
		for gen == b.gen {
			b.cond.Wait()
		}
	}
	b.mu.Unlock()
}

// bufPool recycles packing buffers: a 1024^3 product needs megabytes of
// them, and allocating (and zeroing) them per call costs as much as packing.
var bufPool sync.Pool

// getBuf returns a buffer of at least n float32s, 64-byte aligned.
func getBuf(n int) *[]float32 {
	if v, ok := bufPool.Get().(*[]float32); ok && cap(*v) >= n {
		*v = (*v)[:n]
		return v
	}
	// Over-allocate by one cache line and start at a 64-byte boundary, so
	// the kernels' 64-byte loads of packed B never split a line.
	raw := make([]float32, n+16)
	off := int(uintptr(unsafe.Pointer(&raw[0]))%64) / 4
	if off != 0 {
		off = 16 - off
	}
	buf := raw[off : off+n]
	return &buf
}

func putBuf(b *[]float32) { bufPool.Put(b) }
