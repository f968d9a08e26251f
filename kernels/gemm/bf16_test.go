package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/distill-dev/distill/kernels/half"
)

// testBF16Kernels returns every bf16 kernel available, each also with tiny
// blocks (odd k blocks among them).
func testBF16Kernels() []*kernel { return withTiny(availableBF16Kernels()) }

// withBF16Kernel makes SgemmBF16BThreads use kern (and run tiny problems in
// parallel) until the returned function is called.
func withBF16Kernel(kern *kernel) func() {
	oldK, oldS := bf16Kernel(), serialWork
	activeBF16, serialWork = kern, 0
	return func() { activeBF16, serialWork = oldK, oldS }
}

// TestSgemmBF16B compares every bf16 kernel with the float64 product of
// the bfloat16-rounded operands: A rounded by half.F32ToBF16, B widened.
// The float32 bound of checkC is far below bfloat16's rounding (2^-9), so
// an unrounded or misrounded A, or a k-pair out of place, fails.
func TestSgemmBF16B(t *testing.T) {
	type bcase struct{ m, n, k int }
	cases := []bcase{{1, 1, 1}, {1, 37, 300}, {3, 5, 17}, {8, 32, 2}, {17, 33, 256}, {65, 70, 601}, {2, 129, 257}, {9, 40, 0}, {16, 64, 1030}}
	if !testing.Short() {
		cases = append(cases, bcase{130, 300, 1100}, bcase{200, 96, 2100})
	}
	alphaBeta := [][2]float32{{1, 0}, {0.5, 1}, {1, -0.5}}
	rng := rand.New(rand.NewPCG(7, 8))
	for i, bc := range cases {
		for _, pad := range []int{0, 1, 2} { // ldb - k: odd ldb and a B at an odd offset take the Go packing
			ab := alphaBeta[(i+pad)%len(alphaBeta)]
			alpha, beta := ab[0], ab[1]
			lda, ldb, ldc := max(bc.k+i%2, 1), max(bc.k+pad, 1), max(bc.n+2*(i%2), 1)
			a := randMatrix(rng, bc.m*lda)
			ar := make([]uint16, len(a))
			half.F32ToBF16(ar, a)
			boff := pad % 2 // pad 1: odd ldb; pad 2: even ldb, odd start
			bAll := make([]uint16, boff+bc.n*ldb)
			half.F32ToBF16(bAll, randMatrix(rng, len(bAll)))
			b := bAll[boff:]
			widen := func(v uint16) float64 { return float64(math.Float32frombits(uint32(v) << 16)) }
			const off = 2
			c0 := newC(rng, bc.m, bc.n, ldc, off, beta == 0)
			want, mag := refGemm(
				func(i, p int) float64 { return widen(ar[i*lda+p]) },
				func(p, j int) float64 { return widen(b[j*ldb+p]) },
				bc.m, bc.n, bc.k, float64(alpha), float64(beta), c0[off:], ldc)
			c := make([]float32, len(c0))
			for _, kern := range testBF16Kernels() {
				copy(c, c0)
				restore := withBF16Kernel(kern)
				SgemmBF16BThreads(1+i%3, bc.m, bc.n, bc.k, alpha, a, lda, b, ldb, beta, c[off:], ldc)
				restore()
				name := fmt.Sprintf("%s m=%d n=%d k=%d ldb=%d", kern.name, bc.m, bc.n, bc.k, ldb)
				checkC(t, name, c, off, bc.m, bc.n, bc.k, ldc, want, mag)
			}
		}
	}
}

// TestSgemmBF16BPanics: bad shapes panic like Sgemm's.
func TestSgemmBF16BPanics(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"short B", func() {
			SgemmBF16BThreads(1, 2, 3, 4, 1, make([]float32, 8), 4, make([]uint16, 11), 4, 0, make([]float32, 6), 3)
		}},
		{"small ldb", func() {
			SgemmBF16BThreads(1, 2, 3, 4, 1, make([]float32, 8), 4, make([]uint16, 12), 3, 0, make([]float32, 6), 3)
		}},
		{"negative k", func() { SgemmBF16BThreads(1, 2, 3, -1, 1, nil, 1, nil, 1, 0, make([]float32, 6), 3) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("no panic")
				}
			}()
			tc.f()
		})
	}
}
