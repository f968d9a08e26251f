//go:build !amd64

package gemm

// availableKernels lists the micro-kernels this CPU can run, best first.
func availableKernels() []*kernel {
	return []*kernel{goKernel}
}
