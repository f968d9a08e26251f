//go:build cuda

package main

// With -tags cuda the binary registers the "cuda" / "cuda:N" devices. The
// driver and cuBLAS load when a cuda device is opened, so this binary still
// starts (and runs on the CPU) on machines without a GPU.
import _ "github.com/distill-dev/distill/kernels/cuda"
