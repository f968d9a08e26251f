//go:build cuda

package cuda

import (
	"strconv"
	"sync"
	"testing"

	"github.com/distill-dev/distill/kernels"
)

// Tests of the backend's lifetime: Close, Open's error paths, concurrent
// Open and garbage collection under device-memory pressure. The object
// counts and injected failures need the emulator; on a GPU only what the
// real driver allows is checked.

// TestCUDAClose: Close gives back every driver object Open and the ops
// made (device memory in use and cached, pinned buffer, modules, stream,
// cuBLAS handle, context), and a tensor used after Close panics.
func TestCUDAClose(t *testing.T) {
	gpu(t)
	base := driverLiveObjects()
	b, err := Open("cuda")
	if err != nil {
		t.Fatal(err)
	}
	x := b.FromFloat32(kernels.F32, make([]float32, 4096), 64, 64)
	y := b.Zeros(kernels.F32, 64, 64)
	b.MatMul(y, x, x, false, true, 1, 0)
	b.Free(b.Zeros(kernels.BF16, 1000)) // a cached block
	_ = b.ToFloat32(y, nil)
	b.Close()
	b.Close() // idempotent
	if live := driverLiveObjects(); live != base {
		t.Errorf("after Close the driver holds %d objects, %d before Open", live, base)
	}
	defer func() {
		if recover() == nil {
			t.Error("using a tensor after Close did not panic")
		}
	}()
	b.Scale(y, 2)
}

// TestCUDAOpenErrorPaths makes each driver call of Open fail in turn and
// checks that Open returns an error and leaves nothing behind.
func TestCUDAOpenErrorPaths(t *testing.T) {
	if !emulated(gpu(t)) {
		t.Skip("needs the emulator's EMU_FAIL")
	}
	base := driverLiveObjects()
	for _, fail := range []string{"cuDevicePrimaryCtxRetain:1", "cuStreamCreate:1", "cuModuleLoadDataEx:1", "cuModuleLoadDataEx:4"} {
		t.Setenv("EMU_FAIL", fail)
		b, err := Open("cuda")
		if err == nil {
			b.Close()
			t.Errorf("EMU_FAIL=%s: Open succeeded", fail)
		}
		if live := driverLiveObjects(); live != base {
			t.Errorf("EMU_FAIL=%s: Open failed (%v) leaving %d driver objects, %d before", fail, err, live-base, 0)
		}
	}
}

// TestCUDAOpenConcurrent opens and closes backends from several goroutines
// at once: the package's dlopen state is set up under a lock (the emulator
// reports overlapping loads).
func TestCUDAOpenConcurrent(t *testing.T) {
	gpu(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := Open("cuda")
			if err == nil {
				b.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("goroutine %d: %v", i, err)
		}
	}
}

// TestCUDAAllocCollects allocates 16x the free device memory in tensors
// that are dropped without Free: running out of device memory must run the
// garbage collector, whose finalizers return the unreachable blocks.
func TestCUDAAllocCollects(t *testing.T) {
	g := gpu(t)
	if !emulated(g) {
		t.Skip("needs the emulator's EMU_DEVICE_MEM")
	}
	free, total := g.drv.memInfo()
	const room, block = 64 << 20, 16 << 20
	t.Setenv("EMU_DEVICE_MEM", strconv.FormatInt(total-free+room, 10))
	for i := 0; i < 16*room/block; i++ {
		g.Zeros(kernels.F32, block/4)
	}
}
