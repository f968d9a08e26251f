package gemm

import (
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/distill-dev/distill/internal/spinwait"
)

// serialWork is the size (m*n*k multiply-adds) below which a GEMM runs on
// the calling goroutine: handing work to a helper and waiting for it costs
// a few microseconds, as much as a 96^3 product. A variable so that tests
// can send tiny problems through the parallel code.
var serialWork = 96 * 96 * 96

// superRows bounds the rows of A packed at once (the packed A is
// superRows x kc), so that a tall A does not need a huge buffer.
const superRows = 2048

// blocked runs p through the packed, cache-blocked algorithm (doc.go) on at
// most threads goroutines with micro-kernel kern.
//
// The product is a sequence of steps, one per (nc block of columns, kc
// block of k, mb block of rows). Each goroutine owns a share of the rows of
// every step (threads near-equal shares, whole mr-row panels), as
// OpenBLAS's threads do: it packs its own rows of A, mc at a time, into a
// part of the A buffer that only it reads, keeping them in its core's L2,
// and multiplies them by every panel of the step's B block. The B panels
// are shared: a goroutine walks them starting with its own share of the
// columns, and the first to need a panel packs it and multiplies it at
// once while it is in cache (OpenBLAS fuses its copy and kernel the same
// way); the others find it packed, or wait for its packer. Nothing else is
// shared, so there is no barrier: a
// goroutine waits only for a B panel another one is packing, and before it
// overwrites a B buffer (two of them, used by alternate steps) for the
// steps two back to be finished by all. Giving every goroutine its own rows
// rather than handing out tiles dynamically keeps the packed A local:
// with tiles that either goroutine could take, the two cores read each
// other's packed blocks, and 2 threads ran 15-20% slower per core than 1.
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
	if p.m*p.n*p.k < serialWork {
		threads = 1
	}
	threads = max(1, min(threads, ceilDiv(mb, mr)))
	d := &driver{p: p, kern: kern, kc: kc, nc: nc, mb: mb, threads: threads}
	d.plan()
	d.sets = 1
	if threads > 1 && len(d.groupDone) > 1 {
		d.sets = 2
	}
	// Each goroutine packs its rows into its own part of the A buffer, the
	// same part in every step (the row shares of a shorter last step differ).
	d.aShare = ceilDiv(ceilDiv(mb, mr), threads) * mr * kc
	aBuf := getBuf(threads * d.aShare)
	defer putBuf(aBuf)
	d.a = *aBuf
	for s := 0; s < d.sets; s++ {
		bBuf := getBuf(kc * ceilDiv(nc, nr) * nr)
		defer putBuf(bBuf)
		d.b[s] = *bBuf
	}
	d.wake.L = &d.mu
	if threads > 1 {
		d.steal = make([]atomic.Uint64, threads) // nothing to take until lastStep
	}
	if threads == 1 {
		d.work(0)
		return
	}
	runParallel(d, threads)
}

// driver holds what the goroutines of one blocked GEMM share.
type driver struct {
	p          *problem
	kern       *kernel
	kc, nc, mb int
	threads    int
	steps      []step
	sets       int
	a          []float32 // packed A: aShare values for each goroutine's rows
	aShare     int
	b          [2][]float32 // packed B blocks (kc x nc), alternate (jc, pc) groups
	panelState []atomic.Int32
	groupDone  []atomic.Int32  // goroutines that finished each (jc, pc) group
	steal      []atomic.Uint64 // chunks of each share of the last step left (lastStep)

	mu       sync.Mutex // guards nothing but wake's waits
	wake     sync.Cond  // broadcast when a state moves while sleepers > 0
	sleepers atomic.Int32
}

// step is one (jc, pc, ic0) block of the product.
type step struct {
	jc, nc, pc, kc, ic0, mb int
	beta                    float32
	group                   int // index of its (jc, pc); its steps share one packed B block
	last                    bool
}

// States of a B panel of one group, in driver.panelState.
const (
	panelFree    = 0
	panelPacking = 1
	panelPacked  = 2
)

// plan lists the steps in the order every goroutine walks them.
func (d *driver) plan() {
	p, nr := d.p, d.kern.nr
	g := -1
	for jc := 0; jc < p.n; jc += d.nc {
		nc := min(d.nc, p.n-jc)
		for pc := 0; pc < p.k; pc += d.kc {
			kc := min(d.kc, p.k-pc)
			beta := p.beta
			if pc > 0 {
				beta = 1 // later k blocks add to what the first wrote
			}
			g++
			for ic0 := 0; ic0 < p.m; ic0 += d.mb {
				mb := min(d.mb, p.m-ic0)
				d.steps = append(d.steps, step{jc: jc, nc: nc, pc: pc, kc: kc, ic0: ic0, mb: mb, beta: beta, group: g, last: ic0+mb == p.m})
			}
		}
	}
	d.groupDone = make([]atomic.Int32, g+1)
	d.panelState = make([]atomic.Int32, (g+1)*ceilDiv(d.nc, nr))
}

// work runs share t of the product: rows span(mb panels, threads, t) of
// every step.
func (d *driver) work(t int) {
	p, kern := d.p, d.kern
	mr, nr := kern.mr, kern.nr
	var rowBuf []float32
	if p.transB && p.b16 == nil {
		rb := getBuf(nr * d.kc)
		defer putBuf(rb)
		rowBuf = *rb
	}
	tmp := make([]float32, mr*nr)
	deferred := make([]int, 0, ceilDiv(d.nc, nr))
	mc := kern.mc
	for si := range d.steps {
		s := &d.steps[si]
		b := d.b[s.group%d.sets]
		a := d.a[t*d.aShare : (t+1)*d.aShare]
		if d.steal != nil && si == len(d.steps)-1 {
			d.lastStep(t, s, b, a, rowBuf, tmp, deferred)
			continue
		}
		r0, r1 := d.rows(s, t)
		for i0 := r0; i0 < r1; i0 += mc {
			d.block(t, s, b, a, i0, min(mc, r1-i0), rowBuf, tmp, deferred)
		}
		if s.last {
			d.done(&d.groupDone[s.group])
		}
	}
}

// rows returns goroutine t's share [r0, r1) of the rows of step s (offsets
// from s.ic0): near-equal runs of whole mr-row panels.
func (d *driver) rows(s *step, t int) (r0, r1 int) {
	mr := d.kern.mr
	p0, p1 := span(ceilDiv(s.mb, mr), d.threads, t)
	return p0 * mr, min(p1*mr, s.mb)
}

// block packs rows [i0, i0+rows) of step s's A (offsets from s.ic0) into
// a and multiplies them by every B panel of the step, goroutine t's share
// of the columns first. The first goroutine to need a panel packs it and
// multiplies it at once, while it is in cache, as OpenBLAS's fused copy
// and kernel. A panel that another goroutine is packing is put off until
// the others are done, rather than waited for: when the two goroutines
// meet in the panels, the one behind would otherwise wait for each panel
// in turn (about 1% of the time of the logits product).
func (d *driver) block(t int, s *step, b, a []float32, i0, rows int, rowBuf, tmp []float32, deferred []int) {
	packA(a, d.p, s.ic0+i0, rows, s.pc, s.kc, d.kern)
	panels := ceilDiv(s.nc, d.kern.nr)
	q0, _ := span(panels, d.threads, t)
	deferred = deferred[:0]
	for j := 0; j < panels; j++ {
		q := (q0 + j) % panels
		if !d.panel(s, b, q, rowBuf, false) {
			deferred = append(deferred, q)
			continue
		}
		d.macro(a, b, 0, s.ic0+i0, rows, s.jc, s.nc, q, q+1, s.kc, s.beta, tmp)
	}
	for _, q := range deferred {
		d.panel(s, b, q, rowBuf, true)
		d.macro(a, b, 0, s.ic0+i0, rows, s.jc, s.nc, q, q+1, s.kc, s.beta, tmp)
	}
}

// stealRows is the size of the row chunks of the last step, which an idle
// goroutine takes from the others.
const stealRows = 64

// lastStep runs goroutine t's rows of the last step of the product in
// chunks of about stealRows, then takes the chunks that the others have
// not started, from the end of their shares. With a static split the
// goroutine that finishes first waits for the other at the end of every
// call: for the helper's wake-up, for a core that another process took a
// while, for a share of the B packing that came out unequal (1-5% of a
// 1024 x 768 x 2048 product at 2 threads). A taken chunk is packed by
// its taker, so no goroutine reads another's packed A. A goroutine offers
// its chunks when it reaches the last step, so a goroutine still busy
// with earlier steps has nothing taken from it.
func (d *driver) lastStep(t int, s *step, b, a []float32, rowBuf, tmp []float32, deferred []int) {
	chunk := d.chunkRows()
	// Offer the chunks only now: the rows of C that goroutine t owns must
	// have been through the earlier k blocks (its earlier steps) before
	// anyone adds the last one.
	own0, own1 := d.rows(s, t)
	d.steal[t].Store(uint64(ceilDiv(own1-own0, chunk)))
	for u := 0; u < d.threads; u++ {
		v := (t + u) % d.threads
		r0, r1 := d.rows(s, v)
		for {
			c, ok := d.claim(v, v == t)
			if !ok {
				break
			}
			i0 := r0 + c*chunk
			d.block(t, s, b, a, i0, min(chunk, r1-i0), rowBuf, tmp, deferred)
		}
	}
	d.done(&d.groupDone[s.group])
}

// chunkRows is the chunk size of lastStep: stealRows rounded to whole
// mr-row panels.
func (d *driver) chunkRows() int {
	mr := d.kern.mr
	return max(1, stealRows/mr) * mr
}

// claim takes a chunk of goroutine v's share of the last step: the first
// one left when v is the caller's own (front), the last one otherwise.
// d.steal[v] holds the chunks left, [lo, hi), as lo<<32 | hi.
func (d *driver) claim(v int, front bool) (int, bool) {
	st := &d.steal[v]
	for {
		x := st.Load()
		lo, hi := int(x>>32), int(x&0xFFFFFFFF)
		if lo >= hi {
			return 0, false
		}
		if front {
			if st.CompareAndSwap(x, uint64(lo+1)<<32|uint64(hi)) {
				return lo, true
			}
			continue
		}
		if st.CompareAndSwap(x, uint64(lo)<<32|uint64(hi-1)) {
			return hi - 1, true
		}
	}
}

// panel makes sure B panel q of step s's group is packed: it packs it if
// no one has started to, or waits for the goroutine that has. Unless
// wait, it returns false instead of waiting.
func (d *driver) panel(s *step, b []float32, q int, rowBuf []float32, wait bool) bool {
	st := &d.panelState[s.group*ceilDiv(d.nc, d.kern.nr)+q]
	if st.Load() == panelPacked {
		return true
	}
	if st.Load() == panelFree {
		// The B buffer was last read by the group two back.
		if s.group >= 2 {
			d.await(&d.groupDone[s.group-2], d.threads)
		}
		if st.CompareAndSwap(panelFree, panelPacking) {
			packB(b, d.p, d.kern, s.jc, s.nc, s.pc, s.kc, q, q+1, rowBuf)
			st.Store(panelPacked)
			d.wakeAll()
			return true
		}
	}
	if !wait && st.Load() != panelPacked {
		return false
	}
	d.await(st, panelPacked)
	return true
}

// done adds one to c and wakes the goroutines that sleep in await, if any.
func (d *driver) done(c *atomic.Int32) {
	c.Add(1)
	d.wakeAll()
}

func (d *driver) wakeAll() {
	if d.sleepers.Load() > 0 {
		d.mu.Lock()
		d.wake.Broadcast()
		d.mu.Unlock()
	}
}

// spinWait is how long await polls before it sleeps. Sleeping costs a
// wake-up of an OS thread (tens to hundreds of microseconds on a VM) and
// moves goroutines between threads, so it polls for about as long as the
// other goroutine may need: the rest of a pack or of a share.
const spinWait = time.Millisecond

// await returns once c reaches n. The wait is short unless another goroutine
// lost its core: it polls for a while, yielding to other goroutines now
// and then, and then sleeps until a done wakes it.
func (d *driver) await(c *atomic.Int32, n int) {
	if spinwait.Until(spinWait, func() bool { return int(c.Load()) >= n }) {
		return
	}
	d.mu.Lock()
	d.sleepers.Add(1)
	for int(c.Load()) < n {
		d.wake.Wait()
	}
	d.sleepers.Add(-1)
	d.mu.Unlock()
}

// macro multiplies rows [i0, i0+mcb) of the packed A block (C rows ic..) by
// panels [q0, q1) of the packed B block (C columns jc+q0*nr..).
func (d *driver) macro(a, b []float32, i0, ic, mcb, jc, nc, q0, q1, kc int, beta float32, tmp []float32) {
	p, kern := d.p, d.kern
	mr, nr := kern.mr, kern.nr
	c, ldc, alpha := p.c, p.ldc, p.alpha
	for q := q0; q < q1; q++ {
		j := jc + q*nr
		cols := min(nr, jc+nc-j)
		bp := &b[q*nr*kc]
		steps := kc
		if kern.pairs {
			steps = (kc + 1) / 2 // packed panels hold k-pairs (bf16.go)
		}
		for ir := 0; ir < mcb; ir += mr {
			i := ic + ir
			ap := &a[(i0+ir)*kc]
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
