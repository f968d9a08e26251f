package cpu

// SetIntDotMaxRows sets how many rows of a MatMul's integer path takes (0:
// none, the float path only) and returns the previous limit, for tests and
// benchmarks that compare the two paths.
func SetIntDotMaxRows(n int) int {
	old := intDotMaxRows
	intDotMaxRows = n
	return old
}
