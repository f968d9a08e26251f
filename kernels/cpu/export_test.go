package cpu

// SetIntDotMaxRows sets how many rows of a MatMul's integer path takes (0:
// none, the float path only) and returns the previous limit, for tests and
// benchmarks that compare the two paths.
func SetIntDotMaxRows(n int) int {
	old := intDotMaxRows
	intDotMaxRows = n
	return old
}

// SetIntRowsMinRows sets the fewest rows of a from which Q8_0 and Q4_0
// weights take the multi-row integer kernel (a large value: never) and
// returns the previous value.
func SetIntRowsMinRows(n int) int {
	old := intRowsMinRows
	intRowsMinRows = n
	return old
}

// SetIntRowsMinK sets the shortest row for which products of more than
// intDotMaxRows rows, and k-quant products, take the multi-row kernels
// (tiles and panels), and returns a function that restores the previous
// values.
func SetIntRowsMinK(k int) (restore func()) {
	tiles, panels := intRowsMinK, panelMinK
	intRowsMinK, panelMinK = k, k
	return func() { intRowsMinK, panelMinK = tiles, panels }
}

// SetPanelMinK sets the shortest row for which products of more than
// intDotMaxRows rows take the panels, and returns the previous value.
func SetPanelMinK(k int) int {
	old := panelMinK
	panelMinK = k
	return old
}
