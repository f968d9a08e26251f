package cpu

// SetIntDotMatMul switches MatMul's integer dot products (matmulIntDot) on
// or off and returns the previous setting, for tests and benchmarks that
// compare them with the float path.
func SetIntDotMatMul(on bool) bool {
	old := intDotMatMul
	intDotMatMul = on
	return old
}
