package cpu

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/gemm"
)

func init() {
	kernels.Register("cpu", func(device string, o kernels.OpenOptions) (kernels.Backend, error) {
		// "cpu" uses every core; "cpu:N" pins the worker count to N, as
		// does o.Threads (both set must agree).
		n := 0
		if _, arg, ok := strings.Cut(device, ":"); ok && arg != "" {
			v, err := strconv.Atoi(arg)
			if err != nil || v < 0 {
				return nil, fmt.Errorf("kernels/cpu: device %q: thread count %q is not a non-negative integer", device, arg)
			}
			if err := kernels.CheckThreads("kernels/cpu: device "+device+": threads", v); err != nil {
				return nil, err
			}
			n = v
		}
		if o.Threads > 0 {
			if n > 0 && n != o.Threads {
				return nil, fmt.Errorf("kernels/cpu: device %q asks for %d threads but threads is %d: give one of them", device, n, o.Threads)
			}
			n = o.Threads
		}
		return NewWith(Options{Threads: n, BF16Compute: o.BF16Matmul, NoRepack: o.NoRepack}), nil
	})
}

// Backend is the pure-Go CPU implementation of kernels.Backend.
type Backend struct {
	threads     int
	bf16Compute bool
	floatActs   bool // Options.FloatActivations
	noRepack    bool // Options.NoRepack
	pool        *workerPool
	ropes       ropeCache
}

// Options configures a CPU backend made by NewWith.
type Options struct {
	// Threads is the number of goroutines of the row-parallel loops;
	// <= 0 means runtime.GOMAXPROCS(0).
	Threads int
	// BF16Compute runs MatMul with BF16 weights (b transposed, the layout
	// of a model's weights) on gemm.SgemmBF16BThreads: activations are
	// rounded to bfloat16 and the products summed in float32. It changes
	// the numbers (the activation rounding) and only takes effect where
	// gemm.BF16Native reports a native kernel, never on the portable Go
	// one; other weight types are unaffected. It pays with AMX-BF16
	// (about 3x the float32 path on TinyLlama-1.1B); a CPU with
	// AVX512_BF16 but no AMX runs VDPBF16PS, which measured slower than
	// the float32 kernel on a Xeon, so measure there first.
	BF16Compute bool
	// FloatActivations multiplies block-typed weights with the unquantized
	// float32 activations (the weights decoded inside the fp32 GEMM)
	// instead of llama.cpp's integer dot products on activations rounded
	// to 8 bits per block: the arithmetic of a backend that dequantizes
	// its weights (the CUDA backend), for comparisons with one.
	FloatActivations bool
	// NoRepack leaves Q8_0, Q4_0, Q4_K, Q5_K and Q6_K weights in their
	// GGUF layout: no panels (panels.go) and their memory, one-row integer
	// dot products up to 16 rows and the float path beyond
	// (kernels.OpenOptions.NoRepack).
	NoRepack bool
}

// New returns a CPU backend running its row-parallel loops on threads
// goroutines; threads <= 0 means runtime.GOMAXPROCS(0).
func New(threads int) kernels.Backend { return NewWith(Options{Threads: threads}) }

// NewWith returns a CPU backend configured by o.
func NewWith(o Options) kernels.Backend {
	threads := o.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	return &Backend{threads: threads, bf16Compute: o.BF16Compute && gemm.BF16Native(), floatActs: o.FloatActivations, noRepack: o.NoRepack, pool: newWorkerPool(threads)}
}

// Name returns "cpu" (with the thread count when it is not GOMAXPROCS).
func (b *Backend) Name() string {
	if b.threads == runtime.GOMAXPROCS(0) {
		return "cpu"
	}
	return "cpu:" + strconv.Itoa(b.threads)
}

// Threads returns the number of goroutines the backend's loops use.
func (b *Backend) Threads() int { return b.threads }

// Sync is a no-op: every CPU operation has finished when its method returns.
func (b *Backend) Sync() {}
