//go:build !amd64 || purego

package qblock

import "github.com/distill-dev/distill/kernels"

func int8sArch([]float32, []byte, float32) bool           { return false }
func dotInt8Arch([]float32, []byte) (float32, bool)       { return 0, false }
func levelsArch([]float32, []byte, float32, float32) bool { return false }

func decodeRowArch(kernels.DType, []float32, []byte) bool         { return false }
func dotRowArch(kernels.DType, []float32, []byte) (float32, bool) { return 0, false }
