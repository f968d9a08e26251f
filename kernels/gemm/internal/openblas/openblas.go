//go:build openblas

package openblas

// Package openblas is the yardstick of the gemm benchmarks: Sgemm wraps
// OpenBLAS's cblas_sgemm for gemm's openblas_bench_test.go, which runs the
// same shapes as BenchmarkSgemm with OpenBLAS limited to GOMAXPROCS threads,
// so that
//
//	go test -tags openblas -run '^$' -bench . -cpu 1,2 ./kernels/gemm/
//
// prints both side by side in one run. Needs libopenblas-dev and cgo; the
// default build never links it. (A cgo package cannot hold Go assembly,
// hence this package apart from gemm.)

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>

*/
import "C"

import "unsafe"

// Sgemm is cblas_sgemm(CblasRowMajor, ...) with gemm.Sgemm's arguments.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ta, tb := uint32(C.CblasNoTrans), uint32(C.CblasNoTrans)
	if transA {
		ta = C.CblasTrans
	}
	if transB {
		tb = C.CblasTrans
	}
	C.cblas_sgemm(C.CblasRowMajor, C.enum_CBLAS_TRANSPOSE(ta), C.enum_CBLAS_TRANSPOSE(tb), C.blasint(m), C.blasint(n), C.blasint(k),
		C.float(alpha), (*C.float)(unsafe.Pointer(&a[0])), C.blasint(lda),
		(*C.float)(unsafe.Pointer(&b[0])), C.blasint(ldb),
		C.float(beta), (*C.float)(unsafe.Pointer(&c[0])), C.blasint(ldc))
}

// SetThreads sets the number of threads OpenBLAS uses.
func SetThreads(n int) { C.openblas_set_num_threads(C.int(n)) }

// Threads returns the number of threads OpenBLAS uses.
func Threads() int { return int(C.openblas_get_num_threads()) }

// Config returns OpenBLAS's build configuration (version, core).
func Config() string { return C.GoString(C.openblas_get_config()) }
