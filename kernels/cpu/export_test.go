package cpu

// SetIntDotMaxRows sets how many rows of a MatMul's integer path takes (0:
// none, the float path only) and returns the previous limit, for tests and
// benchmarks that compare the two paths.
func SetIntDotMaxRows(n int) int {
	old := intDotMaxRows
	intDotMaxRows = n
	return old
}

// SetIntRowsMinRows sets the fewest rows of a from which weights take
// their panels (a large value: never) and returns the previous value.
func SetIntRowsMinRows(n int) int {
	old := intRowsMinRows
	intRowsMinRows = n
	return old
}

// SetIntRowsMinK sets the shortest row for which products of more than
// intDotMaxRows rows take the panels, and returns a function that restores
// the previous value.
func SetIntRowsMinK(k int) (restore func()) {
	old := panelMinK
	panelMinK = k
	return func() { panelMinK = old }
}
