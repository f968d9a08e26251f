package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/distill-dev/distill/internal/cputime"
	"github.com/distill-dev/distill/kernels/half"
)

// benchShape is one GEMM of the benchmarks: the square yardstick and the
// teacher config's shapes (dim 768, FFN 2048, vocab 32000, batch 4 x 256 =>
// 1024 rows), named MxKxN as the issue lists them. Forward shapes are activations [M, K] times weights stored
// [N, K] (transB); backward ones are dW = dY^T X (transA) and dX = dY W.
type benchShape struct {
	name           string
	transA, transB bool
	m, n, k        int
}

var benchShapes = []benchShape{
	{"1024x1024x1024", false, false, 1024, 1024, 1024},
	{"qkv_1024x768x768", false, true, 1024, 768, 768},
	{"qkv_fused_1024x768x2304", false, true, 1024, 2304, 768},
	{"ffn_up_1024x768x2048", false, true, 1024, 2048, 768},
	{"ffn_down_1024x2048x768", false, true, 1024, 768, 2048},
	{"logits_1024x768x32000", false, true, 1024, 32000, 768},
	{"dW_T_768x1024x768", true, false, 768, 768, 1024},
	{"dW_T_2048x1024x768", true, false, 2048, 768, 1024},
	{"dX_1024x2048x768", false, false, 1024, 768, 2048},
	{"gemv_1x768x32000", false, true, 1, 32000, 768},
}

// benchOperands returns random A, B and C for s with tight leading dimensions.
func benchOperands(s benchShape) (a []float32, lda int, b []float32, ldb int, c []float32) {
	rng := rand.New(rand.NewPCG(1, 1))
	lda, ldb = s.k, s.n
	if s.transA {
		lda = s.m
	}
	if s.transB {
		ldb = s.k
	}
	return randMatrix(rng, s.m*s.k), lda, randMatrix(rng, s.k*s.n), ldb, make([]float32, s.m*s.n)
}

// benchLoop runs f b.N times and reports GFLOP/s of wall-clock time, the
// best single call's GFLOP/s (max-GFLOP/s: the least disturbed when other
// processes take the cores now and then) and GFLOP per CPU-second of the
// process (threads x efficiency).
func benchLoop(b *testing.B, s benchShape, f func()) {
	benchLoopWarm(b, s, 0, f)
}

// benchLoopWarm is benchLoop after calling f for at least warm (and at
// least once: buffers, pages of C). Comparisons warm both sides for a
// while: a core that sat idle (or ran another library's spinning threads)
// just before would otherwise tilt the first timings.
func benchLoopWarm(b *testing.B, s benchShape, warm time.Duration, f func()) {
	for t0 := time.Now(); ; {
		f()
		if time.Since(t0) >= warm {
			break
		}
	}
	cpu0 := cputime.Process()
	best := time.Duration(math.MaxInt64)
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		f()
		best = min(best, time.Since(t0))
	}
	flop := 2 * float64(s.m) * float64(s.n) * float64(s.k)
	b.ReportMetric(flop*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	b.ReportMetric(flop/best.Seconds()/1e9, "max-GFLOP/s")
	if cpu := cputime.Process() - cpu0; cpu > 0 {
		b.ReportMetric(flop*float64(b.N)/cpu.Seconds()/1e9, "GFLOP/cpu-s")
	}
}

// BenchmarkSgemm runs every shape with the best kernel on GOMAXPROCS
// goroutines (set it with -cpu 1,2). Compare with BenchmarkOpenBLAS in
// openblas_test.go (go test -tags openblas), run in the same process.
func BenchmarkSgemm(b *testing.B) {
	for _, s := range benchShapes {
		b.Run(s.name, func(b *testing.B) {
			a, lda, bm, ldb, c := benchOperands(s)
			benchLoop(b, s, func() {
				Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n)
			})
		})
	}
}

// BenchmarkSgemmKernels runs the square shape with each available kernel.
func BenchmarkSgemmKernels(b *testing.B) {
	s := benchShapes[0]
	for _, kern := range availableKernels() {
		b.Run(kern.name, func(b *testing.B) {
			defer withKernel(kern)()
			a, lda, bm, ldb, c := benchOperands(s)
			benchLoop(b, s, func() {
				Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n)
			})
		})
	}
}

// bf16Decoder decodes rows of a [N, K] matrix stored as bfloat16 bits, the
// way kernels/cpu multiplies a real half-precision weight.
func bf16Decoder(bits []uint16, k int) RowDecoder {
	return func(dst []float32, n, k0, k1 int) {
		half.BF16ToF32(dst[:k1-k0], bits[n*k+k0:n*k+k1])
	}
}

// BenchmarkSgemmDecodedB multiplies by BF16 weights decoded on the fly.
func BenchmarkSgemmDecodedB(b *testing.B) {
	for _, s := range []benchShape{
		{"bf16_ffn_up_1024x768x2048", false, true, 1024, 2048, 768},
		{"bf16_gemv_1x768x32000", false, true, 1, 32000, 768},
	} {
		b.Run(s.name, func(b *testing.B) {
			a, _, bm, _, c := benchOperands(s)
			bits := make([]uint16, len(bm))
			for i, v := range bm {
				bits[i] = uint16(math.Float32bits(v) >> 16)
			}
			dec := bf16Decoder(bits, s.k)
			benchLoop(b, s, func() {
				SgemmDecodedB(s.m, s.n, s.k, 1, a, s.k, dec, 0, c, s.n)
			})
		})
	}
}

// bf16Shapes are the forward products (activations times bfloat16 weights
// stored [N, K]) of BenchmarkSgemmBF16: benchShapes' transB shapes and the
// TinyLlama-1.1B layer shapes (512 tokens, dim 2048, FFN 5632).
var bf16Shapes = []benchShape{
	{"qkv_1024x768x768", false, true, 1024, 768, 768},
	{"qkv_fused_1024x768x2304", false, true, 1024, 2304, 768},
	{"ffn_up_1024x768x2048", false, true, 1024, 2048, 768},
	{"ffn_down_1024x2048x768", false, true, 1024, 768, 2048},
	{"logits_1024x768x32000", false, true, 1024, 32000, 768},
	{"tl1b_qo_512x2048x2048", false, true, 512, 2048, 2048},
	{"tl1b_up_512x2048x5632", false, true, 512, 5632, 2048},
	{"tl1b_down_512x5632x2048", false, true, 512, 2048, 5632},
}

// BenchmarkSgemmBF16 multiplies by bfloat16 weights both ways, side by side
// per shape: fp32 (SgemmDecodedB widening the weights, today's BF16 path in
// kernels/cpu) and bf16 (SgemmBF16BThreads: activations rounded, with each
// native bf16 kernel: VDPBF16PS, AMX tiles). GFLOP counts 2*m*n*k for both. Run with
// -cpu 2 for two threads.
func BenchmarkSgemmBF16(b *testing.B) {
	for _, s := range bf16Shapes {
		a, _, bm, _, c := benchOperands(s)
		bits := make([]uint16, len(bm))
		half.F32ToBF16(bits, bm)
		dec := bf16Decoder(bits, s.k)
		b.Run(s.name+"/fp32", func(b *testing.B) {
			benchLoopWarm(b, s, 200*time.Millisecond, func() {
				SgemmDecodedB(s.m, s.n, s.k, 1, a, s.k, dec, 0, c, s.n)
			})
		})
		for _, kern := range availableBF16Kernels() {
			if kern == goBF16Kernel && BF16Native() {
				continue // far slower than the native ones
			}
			b.Run(s.name+"/"+kern.name, func(b *testing.B) {
				defer withBF16Kernel(kern)()
				benchLoopWarm(b, s, 200*time.Millisecond, func() {
					SgemmBF16BThreads(0, s.m, s.n, s.k, 1, a, s.k, bits, s.k, 0, c, s.n)
				})
			})
		}
	}
}

// BenchmarkMicroKernel runs each micro-kernel alone on packed panels that
// stay in L1 (eight A panels against one B panel, like the inner loop of
// the driver): the ceiling the blocked GEMM can approach. About 230 GFLOP/s
// for AVX-512 on one Sapphire Rapids core.
func BenchmarkMicroKernel(b *testing.B) {
	const kc = 256
	for _, kern := range availableKernels() {
		b.Run(kern.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			a := randMatrix(rng, kern.mr*kc*8)
			bp := randMatrix(rng, kern.nr*kc)
			c := make([]float32, kern.mr*kern.nr*8)
			for b.Loop() {
				for t := 0; t < 8; t++ {
					kern.micro(kc, &a[t*kern.mr*kc], &bp[0], &c[t*kern.mr*kern.nr], kern.nr, 1, 1)
				}
			}
			flop := 2 * float64(kern.mr*kern.nr*kc*8) * float64(b.N)
			b.ReportMetric(flop/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
	// The bf16 kernels: kc/2 k-pairs, the same bytes of panels.
	for _, kern := range availableBF16Kernels() {
		b.Run(kern.name, func(b *testing.B) {
			a := make([]float32, kern.mr*kc/2*8)
			bp := make([]float32, kern.nr*kc/2)
			for i := range a {
				a[i] = math.Float32frombits(0x3F803F80) // a pair of bf16 ones
			}
			for i := range bp {
				bp[i] = math.Float32frombits(0x3F003F00) // a pair of bf16 halves
			}
			c := make([]float32, kern.mr*kern.nr*8)
			for b.Loop() {
				for t := 0; t < 8; t++ {
					kern.micro(kc/2, &a[t*kern.mr*kc/2], &bp[0], &c[t*kern.mr*kern.nr], kern.nr, 1, 0)
				}
			}
			flop := 2 * float64(kern.mr*kern.nr*kc*8) * float64(b.N)
			b.ReportMetric(flop/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
