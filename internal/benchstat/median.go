// Package benchstat summarizes the repeated timings of distill's
// benchmarks and side-by-side comparisons (the GEMM against OpenBLAS,
// generation against llama.cpp, the scale table): on shared machines a
// median of several runs is the figure that moves least with other
// processes' load.
package benchstat

import "slices"

// Median returns the median of x, the mean of the two middle values when
// len(x) is even, and 0 for no values. x is left as it was.
func Median(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	s := slices.Clone(x)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
