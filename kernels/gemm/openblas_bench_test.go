//go:build openblas

package gemm

import (
	"runtime"
	"testing"
	"time"

	"github.com/distill-dev/distill/kernels/gemm/internal/openblas"
)

// BenchmarkOpenBLAS is BenchmarkSgemm through OpenBLAS's cblas_sgemm with
// GOMAXPROCS threads (go test -tags openblas -bench . -cpu 1,2).
func BenchmarkOpenBLAS(b *testing.B) {
	b.Logf("%s", openblas.Config())
	for _, s := range benchShapes {
		b.Run(s.name, func(b *testing.B) {
			// Set per sub-benchmark: -cpu changes GOMAXPROCS between runs.
			openblas.SetThreads(runtime.GOMAXPROCS(0))
			a, lda, bm, ldb, c := benchOperands(s)
			benchLoop(b, s, func() {
				openblas.Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n)
			})
		})
	}
}

// BenchmarkVsOpenBLAS interleaves the two per shape (shape/distill,
// shape/openblas), so that both see the same load from other processes;
// run it several times and compare medians (benchstat) of the pairs. Each
// side first runs for warmUp untimed: OpenBLAS's idle threads spin for a
// while after a call, and that must not be charged to the next timing.
const warmUp = 300 * time.Millisecond

func BenchmarkVsOpenBLAS(b *testing.B) {
	for _, s := range benchShapes {
		b.Run(s.name, func(b *testing.B) {
			a, lda, bm, ldb, c := benchOperands(s)
			b.Run("distill", func(b *testing.B) {
				benchLoopWarm(b, s, warmUp, func() {
					Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n)
				})
			})
			b.Run("openblas", func(b *testing.B) {
				openblas.SetThreads(runtime.GOMAXPROCS(0))
				benchLoopWarm(b, s, warmUp, func() {
					openblas.Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n)
				})
			})
		})
	}
}

// TestOpenBLASAgrees checks that the yardstick computes the same product.
func TestOpenBLASAgrees(t *testing.T) {
	s := benchShape{"", true, true, 37, 53, 300}
	a, lda, bm, ldb, c := benchOperands(s)
	want := make([]float32, len(c))
	openblas.Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, want, s.n)
	Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n)
	for i := range c {
		if d := c[i] - want[i]; d > 1e-4 || d < -1e-4 {
			t.Fatalf("C[%d] = %v, OpenBLAS %v", i, c[i], want[i])
		}
	}
}
