//go:build cuda

package cuda

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
)

func init() {
	kernels.Register("cuda", func(device string, o kernels.OpenOptions) (kernels.Backend, error) {
		if o.BF16Matmul {
			return nil, fmt.Errorf("kernels/cuda: device %q: bf16 matmul is a CPU backend setting (--bf16-matmul, training.bf16_matmul); the GPU path has DISTILL_CUDA_FAST_MATMUL=1", device)
		}
		return Open(device)
	})
}

// Backend is kernels.Backend on one NVIDIA GPU. Its methods may be called
// from any goroutine but not concurrently.
type Backend struct {
	// FastMatMul rounds float32 activations to the weights' 16-bit type
	// before a GEMM instead of splitting them (see MatMul): about twice the
	// GEMM throughput, bf16-model accuracy. Open sets it when the
	// environment has DISTILL_CUDA_FAST_MATMUL=1.
	FastMatMul bool

	name  string
	info  deviceInfo
	drv   *driverCtx
	arch  int // PTX architecture loaded, e.g. 90
	alloc *allocator
	host  kernels.Backend // dtype conversions and dequantization on the host

	res map[string]kernelResources // ptxas's numbers for the loaded PTX (ptx/ptxas.txt)

	mu     sync.Mutex // guards fns, ropes, the staging buffer and closed
	mods   []moduleRef
	fns    map[string]funcRef
	ropes  map[ropeKey]*ropeTable
	stage  *pinned
	closed bool
}

// Open returns a backend for device "cuda" (device 0) or "cuda:N". It
// returns an error, never exits, when the driver, a GPU or cuBLAS is
// missing; whatever it made before failing is released. Close releases a
// backend's device memory, modules, stream, cuBLAS handle and context.
func Open(device string) (*Backend, error) {
	ord := 0
	if _, arg, ok := strings.Cut(device, ":"); ok {
		n, err := strconv.Atoi(arg)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("kernels/cuda: device %q: %q is not a device number", device, arg)
		}
		ord = n
	}
	fail := func(err error) (*Backend, error) { return nil, fmt.Errorf("kernels/cuda: device %q: %w", device, err) }
	loadMu.Lock()
	info, drv, err := openDevice(ord)
	loadMu.Unlock()
	if err != nil {
		return fail(err)
	}
	imgs, arch, err := ptxFor(info.major, info.minor)
	var res map[string]kernelResources
	if err == nil {
		res, err = resourcesFor(info.major, info.minor)
	}
	if err != nil {
		drv.close()
		return fail(fmt.Errorf("%s: %w", info.name, err))
	}
	b := &Backend{
		name: "cuda:" + strconv.Itoa(ord), info: info, drv: drv, arch: arch, res: res,
		host: cpu.New(0), fns: map[string]funcRef{}, ropes: map[ropeKey]*ropeTable{},
	}
	b.alloc = newAllocator(drv)
	b.FastMatMul = os.Getenv("DISTILL_CUDA_FAST_MATMUL") == "1"
	if err := b.loadModules(imgs); err != nil {
		b.Close()
		return fail(err)
	}
	return b, nil
}

// openDevice loads the driver and cuBLAS and sets up device ord's context,
// stream and cuBLAS handle. Callers hold loadMu.
func openDevice(ord int) (deviceInfo, *driverCtx, error) {
	var info deviceInfo
	if err := loadDriver(); err != nil {
		return info, nil, err
	}
	n, err := deviceCount()
	if err != nil {
		return info, nil, fmt.Errorf("counting devices: %w", err)
	}
	if n == 0 {
		return info, nil, fmt.Errorf("no CUDA device is visible")
	}
	if ord >= n {
		return info, nil, fmt.Errorf("only %d CUDA device(s) are visible", n)
	}
	if info, err = getDevice(ord); err != nil {
		return info, nil, err
	}
	drv, err := newDriverCtx(info)
	return info, drv, err
}

// loadModules JIT-compiles every PTX image.
func (b *Backend) loadModules(imgs map[string][]byte) error {
	for name, img := range imgs {
		m, err := b.drv.loadModule(img)
		if err != nil {
			return fmt.Errorf("loading PTX module %s (sm_%d, driver %d): %w", name, b.arch, driverVersion(), err)
		}
		b.mods = append(b.mods, moduleRef{name, m})
	}
	return nil
}

// Close waits for queued work and releases everything the backend holds:
// all device memory (tensors still referenced become unusable: using one
// panics), the pinned staging buffer, the modules, the cuBLAS handle, the
// stream and the context. Closing twice is a no-op.
func (b *Backend) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.closed = true
	_ = b.drv.sync()
	b.alloc.close()
	if b.stage != nil {
		_ = b.drv.freeHost(b.stage.p)
		b.stage = nil
	}
	for _, m := range b.mods {
		_ = b.drv.unloadModule(m.mod)
	}
	b.mods, b.fns, b.ropes = nil, nil, nil
	b.drv.close()
}

// StacksWeights implements kernels.WeightStacker: loading copies every
// tensor to the device anyway, and one GEMM over stacked q/k/v (or
// gate/up) weights fills the GPU better than two or three small ones and
// splits its float32 input into bf16 halves once.
func (b *Backend) StacksWeights() bool { return true }

// Name returns "cuda:N".
func (b *Backend) Name() string { return b.name }

// Device describes the GPU: name, compute capability, SMs and memory.
func (b *Backend) Device() string {
	return fmt.Sprintf("%s (sm_%d%d, %d SMs, %.1f GiB, PTX sm_%d)", b.info.name, b.info.major, b.info.minor, b.info.sms,
		float64(b.info.mem)/(1<<30), b.arch)
}

// Sync waits for all queued work.
func (b *Backend) Sync() { b.must("Sync", b.drv.sync()) }

// must panics with a "kernels/cuda:" prefix on a driver error: Backend
// methods have no error results, and a failed launch or copy leaves the
// device state undefined.
func (b *Backend) must(op string, err error) {
	if err != nil {
		panic(fmt.Sprintf("kernels/cuda: %s on %s: %v", op, b.name, err))
	}
}

// function returns the kernel called name from whichever module has it.
func (b *Backend) function(name string) funcRef {
	b.mu.Lock()
	defer b.mu.Unlock()
	if f, ok := b.fns[name]; ok {
		return f
	}
	for _, m := range b.mods {
		if f, err := b.drv.function(m.mod, name); err == nil {
			b.fns[name] = funcRef{f}
			return b.fns[name]
		}
	}
	panic(fmt.Sprintf("kernels/cuda: kernel %s not found in the PTX modules (ptx/ out of date?)", name))
}

// launch runs kernel name on a grid of blocks of bx threads. Arguments are
// built with the helpers below, one 8-byte slot each. A configuration the
// driver would refuse (grid, threads, shared memory with the kernel's
// static part, registers, from ptxas) panics naming the kernel: it is a
// backend bug, not a runtime condition.
func (b *Backend) launch(name string, grid [3]int, bx, shmem int, args ...uint64) {
	if grid[0] == 0 || grid[1] == 0 || grid[2] == 0 {
		return
	}
	if grid[0] > maxGridX || grid[1] > maxGridYZ || grid[2] > maxGridYZ || bx < 1 || bx > maxThreads {
		panic(fmt.Sprintf("kernels/cuda: launch %s: grid %v of %d threads exceeds the device limits (x < 2^31, y and z <= %d, threads <= %d)",
			name, grid, bx, maxGridYZ, maxThreads))
	}
	if !b.fits(name, bx, shmem) {
		r := b.res[name]
		panic(fmt.Sprintf("kernels/cuda: launch %s: %d threads x %d registers, %d static + %d dynamic bytes of shared memory exceed a block's %d registers or %d bytes",
			name, bx, r.Regs, r.StaticSmem, shmem, regsPerBlock, smemLimit))
	}
	f := b.function(name)
	b.must("launch "+name, b.drv.launch(f.fn, grid[0], grid[1], grid[2], bx, shmem, args))
}

// fits reports whether kernel name can be launched with bx threads and
// shmem bytes of dynamic shared memory, by ptxas's register and static
// shared-memory counts.
func (b *Backend) fits(name string, bx, shmem int) bool {
	r, ok := b.res[name]
	if !ok {
		panic(fmt.Sprintf("kernels/cuda: kernel %s has no ptxas resources in ptx/ptxas.txt (run make kernels-check)", name))
	}
	return r.StaticSmem+shmem <= smemLimit && r.Regs*bx <= regsPerBlock
}

// launch1 runs a grid-stride kernel over n elements.
func (b *Backend) launch1(name string, n int, args ...uint64) {
	if n == 0 {
		return
	}
	blocks := min((n+255)/256, 1<<16)
	b.launch(name, [3]int{blocks, 1, 1}, 256, 0, args...)
}

// Kernel argument slots.
func aInt(v int) uint64 {
	if v > math.MaxInt32 || v < math.MinInt32 {
		panic(fmt.Sprintf("kernels/cuda: %d does not fit a 32-bit kernel argument", v))
	}
	return uint64(uint32(int32(v)))
}
func aLL(v int) uint64      { return uint64(int64(v)) }
func aF32(v float32) uint64 { return uint64(math.Float32bits(v)) }
func aDT(t *tensor) uint64  { return uint64(t.dt) }
func aPtr(t *tensor) uint64 {
	if t == nil {
		return 0
	}
	return t.ptr()
}
