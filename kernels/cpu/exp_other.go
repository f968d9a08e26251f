//go:build !amd64 || purego

package cpu

// expRow writes dst[i] = e^src[i] (dst may be src).
func expRow(dst, src []float32) { expRowGo(dst, src) }

// maxf returns the maximum of x (-Inf when empty).
func maxf(x []float32) float32 { return maxfGo(x) }
