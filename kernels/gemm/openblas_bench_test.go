//go:build openblas

package gemm

import (
	"runtime"
	"testing"
	"time"

	"github.com/distill-dev/distill/internal/benchstat"
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

// warmUp is how long each side of a comparison runs untimed before its
// calls are timed: OpenBLAS's idle threads spin for about 0.1 s after a
// call, and that must not be charged to distill's next calls (with 30 ms
// they halved them).
const warmUp = 300 * time.Millisecond

// BenchmarkVsOpenBLASAlternated compares distill with OpenBLAS: per shape,
// each iteration is one round that warms distill for warmUp, times
// roundCalls calls of it, then does the same for OpenBLAS, so the two
// alternate many times within one process and a change of the machine's
// speed (other tenants of a VM, its clock) falls on both alike (runs of
// one side after the other moved the ratio by +-5%). It reports
// the medians of the single calls' GFLOP/s of each and their ratio; run it
// with -benchtime 8x (8 rounds) or more and -cpu 2.
func BenchmarkVsOpenBLASAlternated(b *testing.B) {
	const roundCalls = 25
	for _, s := range benchShapes {
		b.Run(s.name, func(b *testing.B) {
			a, lda, bm, ldb, c := benchOperands(s)
			sides := []func(){
				func() { Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n) },
				func() { openblas.Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n) },
			}
			openblas.SetThreads(runtime.GOMAXPROCS(0))
			flop := 2 * float64(s.m) * float64(s.n) * float64(s.k)
			rates := [2][]float64{}
			for b.Loop() {
				for i, f := range sides {
					for t0 := time.Now(); time.Since(t0) < warmUp; {
						f()
					}
					for range roundCalls {
						t0 := time.Now()
						f()
						rates[i] = append(rates[i], flop/time.Since(t0).Seconds()/1e9)
					}
				}
			}
			d, o := benchstat.Median(rates[0]), benchstat.Median(rates[1])
			b.ReportMetric(d, "distill-GFLOP/s")
			b.ReportMetric(o, "openblas-GFLOP/s")
			b.ReportMetric(d/o, "ratio")
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
