//go:build cuda

package cuda

import (
	"fmt"
	"math/bits"
	"runtime"
	"sync"
	"time"
	"unsafe"
)

// allocator caches device memory in size-class free lists so that ops do
// not call cuMemAlloc/cuMemFree (which synchronise the device). Sizes are
// rounded up to a class: multiples of 512 B below 4 KiB, then four classes
// per power of two (at most 25% waste). Freed blocks go back to their
// class's list; they may be handed out again at once because every backend
// op runs on the one stream, in order (see doc.go).
//
// Under memory pressure (cuMemAlloc out of memory) the cache is emptied
// and, if that is not enough, the Go garbage collector is run: blocks of
// tensors that are unreachable but not yet finalized (the GC knows nothing
// of device memory, so host-side pressure alone may never trigger it)
// return to the cache, which is emptied again before the last retry.
type allocator struct {
	drv    *driverCtx
	mu     sync.Mutex
	free   map[int][]devPtr
	used   map[devPtr]int // blocks handed out, and their classes
	inUse  int64          // bytes handed out
	held   int64          // bytes obtained from the driver (in use + cached)
	closed bool           // close has given everything back
}

func newAllocator(drv *driverCtx) *allocator {
	return &allocator{drv: drv, free: map[int][]devPtr{}, used: map[devPtr]int{}}
}

// sizeClass returns the size actually allocated for n > 0 bytes.
func sizeClass(n int) int {
	if n <= 4096 {
		return (n + 511) &^ 511
	}
	p := bits.Len(uint(n - 1)) // 2^(p-1) < n <= 2^p
	step := 1 << (p - 3)
	return (n + step - 1) &^ (step - 1)
}

func isOutOfMemory(err error) bool {
	r, ok := err.(cuResult)
	return ok && r == cudaErrorOutOfMemory
}

// get returns a block of at least n bytes (0 for n == 0) and its class.
func (a *allocator) get(n int) (devPtr, int, error) {
	if n == 0 {
		return 0, 0, nil
	}
	c := sizeClass(n)
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return 0, 0, fmt.Errorf("the backend is closed")
	}
	if l := a.free[c]; len(l) > 0 {
		p := l[len(l)-1]
		a.free[c] = l[:len(l)-1]
		a.handOut(p, c)
		a.mu.Unlock()
		return p, c, nil
	}
	p, err := a.drv.malloc(c)
	if isOutOfMemory(err) {
		a.releaseLocked()
		p, err = a.drv.malloc(c)
	}
	if isOutOfMemory(err) {
		a.mu.Unlock() // finalizers return blocks through put
		a.collect()
		a.mu.Lock()
		a.releaseLocked()
		p, err = a.drv.malloc(c)
	}
	defer a.mu.Unlock()
	if err != nil {
		free, total := a.drv.memInfo()
		return 0, 0, fmt.Errorf("allocating %d bytes (%d in use, %d free of %d on the device): %w", c, a.inUse, free, total, err)
	}
	a.held += int64(c)
	a.handOut(p, c)
	return p, c, nil
}

func (a *allocator) handOut(p devPtr, c int) {
	a.used[p] = c
	a.inUse += int64(c)
}

// collect runs the garbage collector and gives the finalizers of the
// tensors it found unreachable time to return their blocks (they run on
// the runtime's finalizer goroutine, after runtime.GC returns): it waits
// until the bytes in use stop falling, at most about 100 ms.
func (a *allocator) collect() {
	runtime.GC()
	last := int64(-1)
	for i := 0; i < 100; i++ {
		time.Sleep(time.Millisecond)
		a.mu.Lock()
		cur := a.inUse
		a.mu.Unlock()
		if cur == last && i >= 4 {
			return
		}
		last = cur
	}
}

// put returns a block of class c to its free list (a no-op after close).
func (a *allocator) put(p devPtr, c int) {
	if c == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return
	}
	delete(a.used, p)
	a.free[c] = append(a.free[c], p)
	a.inUse -= int64(c)
}

// releaseLocked gives every cached block back to the driver, after the
// stream has drained (queued work may still use them).
func (a *allocator) releaseLocked() {
	_ = a.drv.sync()
	for c, l := range a.free {
		for _, p := range l {
			_ = a.drv.free(p)
			a.held -= int64(c)
		}
	}
	a.free = map[int][]devPtr{}
}

// close gives every block back to the driver, cached or still in use by a
// live tensor (whose later Free or finalizer is then a no-op).
func (a *allocator) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return
	}
	a.releaseLocked()
	for p := range a.used {
		_ = a.drv.free(p)
	}
	a.used, a.inUse, a.held, a.closed = nil, 0, 0, true
}

// pinned is a page-locked host buffer: copies from it run at full PCIe
// bandwidth and need no extra staging copy inside the driver.
type pinned struct {
	p unsafe.Pointer
	n int
}

func (s *pinned) bytes() []byte { return unsafe.Slice((*byte)(s.p), s.n) }

// stagingSize bounds the pinned buffer; larger transfers go in chunks.
const stagingSize = 64 << 20

// staging returns the pinned buffer, allocated on first use. Callers hold
// b.mu.
func (b *Backend) staging() *pinned {
	if b.stage == nil {
		p, err := b.drv.mallocHost(stagingSize)
		b.must("cuMemAllocHost", err)
		b.stage = &pinned{p, stagingSize}
	}
	return b.stage
}

// upload copies src to device address dst through the pinned buffer.
func (b *Backend) upload(dst devPtr, src []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.staging()
	for len(src) > 0 {
		n := copy(st.bytes(), src)
		b.must("upload", b.drv.htod(dst, st.p, n))
		// The buffer is reused by the next chunk: wait for this one.
		b.must("upload", b.drv.sync())
		dst += devPtr(n)
		src = src[n:]
	}
}

// download copies len(dst) bytes from device address src, after all work
// queued before it.
func (b *Backend) download(dst []byte, src devPtr) {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.staging()
	for len(dst) > 0 {
		n := min(len(dst), st.n)
		b.must("download", b.drv.dtoh(st.p, src, n))
		b.must("download", b.drv.sync())
		copy(dst, st.bytes()[:n])
		src += devPtr(n)
		dst = dst[n:]
	}
}
