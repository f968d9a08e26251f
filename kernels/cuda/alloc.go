//go:build cuda

package cuda

import (
	"fmt"
	"math/bits"
	"sync"
	"unsafe"
)

// allocator caches device memory in size-class free lists so that ops do
// not call cuMemAlloc/cuMemFree (which synchronise the device). Sizes are
// rounded up to a class: multiples of 512 B below 4 KiB, then four classes
// per power of two (at most 25% waste). Freed blocks go back to their
// class's list; they may be handed out again at once because every backend
// op runs on the one stream, in order (see doc.go). When cuMemAlloc runs
// out of memory the cache is emptied and the allocation retried.
type allocator struct {
	drv   *driverCtx
	mu    sync.Mutex
	free  map[int][]devPtr
	inUse int64 // bytes handed out
	held  int64 // bytes obtained from the driver (in use + cached)
}

func newAllocator(drv *driverCtx) *allocator {
	return &allocator{drv: drv, free: map[int][]devPtr{}}
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

// get returns a block of at least n bytes (0 for n == 0) and its class.
func (a *allocator) get(n int) (devPtr, int, error) {
	if n == 0 {
		return 0, 0, nil
	}
	c := sizeClass(n)
	a.mu.Lock()
	defer a.mu.Unlock()
	if l := a.free[c]; len(l) > 0 {
		p := l[len(l)-1]
		a.free[c] = l[:len(l)-1]
		a.inUse += int64(c)
		return p, c, nil
	}
	p, err := a.drv.malloc(c)
	if r, ok := err.(cuResult); ok && r == cudaErrorOutOfMemory {
		a.releaseLocked()
		p, err = a.drv.malloc(c)
	}
	if err != nil {
		free, total := a.drv.memInfo()
		return 0, 0, fmt.Errorf("allocating %d bytes (%d in use, %d free of %d on the device): %w", c, a.inUse, free, total, err)
	}
	a.inUse += int64(c)
	a.held += int64(c)
	return p, c, nil
}

// put returns a block of class c to its free list.
func (a *allocator) put(p devPtr, c int) {
	if c == 0 {
		return
	}
	a.mu.Lock()
	a.free[c] = append(a.free[c], p)
	a.inUse -= int64(c)
	a.mu.Unlock()
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
