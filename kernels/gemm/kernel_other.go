//go:build !amd64

package gemm

// availableKernels lists the micro-kernels this CPU can run, best first.
func availableKernels() []*kernel {
	return []*kernel{goKernel}
}

// availableBF16Kernels lists the bf16 micro-kernels this CPU can run.
func availableBF16Kernels() []*kernel {
	return []*kernel{goBF16Kernel}
}
