//go:build !amd64 || purego

package qblock

import "github.com/distill-dev/distill/kernels"

func intDotArch(kernels.DType, []byte, *Act) (float32, bool) { return 0, false }

func quantQ8Arch([]byte, []float32, []float32) bool { return false }

func quantQ8RecArch([]byte, []float32, int) bool { return false }
