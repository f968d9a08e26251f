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
	kernels.Register("cuda", func(device string) (kernels.Backend, error) { return Open(device) })
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

	mu    sync.Mutex // guards fns, ropes and the staging buffer
	mods  []moduleRef
	fns   map[string]funcRef
	ropes map[ropeKey]*ropeTable
	stage *pinned
}

// Open returns a backend for device "cuda" (device 0) or "cuda:N". It
// returns an error, never exits, when the driver, a GPU or cuBLAS is
// missing.
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
	if err := loadDriver(); err != nil {
		return fail(err)
	}
	n, err := deviceCount()
	if err != nil {
		return fail(fmt.Errorf("counting devices: %w", err))
	}
	if n == 0 {
		return fail(fmt.Errorf("no CUDA device is visible"))
	}
	if ord >= n {
		return fail(fmt.Errorf("only %d CUDA device(s) are visible", n))
	}
	info, err := getDevice(ord)
	if err != nil {
		return fail(err)
	}
	imgs, arch, err := ptxFor(info.major, info.minor)
	if err != nil {
		return fail(fmt.Errorf("%s: %w", info.name, err))
	}
	if err := loadCUBLAS(); err != nil {
		return fail(err)
	}
	drv, err := newDriverCtx(info)
	if err != nil {
		return fail(err)
	}
	b := &Backend{
		name: "cuda:" + strconv.Itoa(ord), info: info, drv: drv, arch: arch,
		host: cpu.New(0), fns: map[string]funcRef{}, ropes: map[ropeKey]*ropeTable{},
	}
	b.alloc = newAllocator(drv)
	b.FastMatMul = os.Getenv("DISTILL_CUDA_FAST_MATMUL") == "1"
	for name, img := range imgs {
		m, err := drv.loadModule(img)
		if err != nil {
			return fail(fmt.Errorf("loading PTX module %s (sm_%d, driver %d): %w", name, arch, driverVersion(), err))
		}
		b.mods = append(b.mods, moduleRef{name, m})
	}
	return b, nil
}

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
// built with the helpers below, one 8-byte slot each.
func (b *Backend) launch(name string, grid [3]int, bx, shmem int, args ...uint64) {
	if grid[0] == 0 || grid[1] == 0 || grid[2] == 0 {
		return
	}
	f := b.function(name)
	b.must("launch "+name, b.drv.launch(f.fn, grid[0], grid[1], grid[2], bx, shmem, args))
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
