//go:build !amd64 || purego

package cpu

// expRow writes dst[i] = e^src[i] (dst may be src).
func expRow(dst, src []float32) { expRowGo(dst, src) }

// maxf returns the maximum of x (-Inf when empty).
func maxf(x []float32) float32 { return maxfGo(x) }

// expSubSum writes dst[i] = e^(x[i]-m) and returns their float32 sum.
func expSubSum(dst, x []float32, m float32) float32 { return expSubSumGo(dst, x, m) }
