package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// guard fills the unused parts of C (padding between rows and around the
// slice) so that stray writes show.
const guard = float32(-7.25e11)

// testKernels returns every kernel this CPU runs (the Go one included), each
// twice: with its own blocking and with tiny blocks, so that small test
// matrices cross several mc, kc and nc blocks.
func testKernels() []*kernel {
	var ks []*kernel
	seen := map[string]bool{}
	for _, k := range append(availableKernels(), goKernel) {
		if seen[k.name] {
			continue
		}
		seen[k.name] = true
		ks = append(ks, k)
	}
	return withTiny(ks)
}

// withTiny returns ks, each followed by a copy with tiny blocks (several k,
// m and n blocks for small matrices).
func withTiny(ks []*kernel) []*kernel {
	var out []*kernel
	for _, k := range ks {
		tiny := *k
		tiny.name += "-tiny"
		tiny.mc, tiny.kc, tiny.nc, tiny.mb = 2*k.mr, 16, 2*k.nr, 4*k.mr
		out = append(out, k, &tiny)
	}
	return out
}

// withKernel makes Sgemm use kern (and run tiny problems in parallel) until
// the returned function is called.
func withKernel(kern *kernel) func() {
	oldK, oldS := active, serialWork
	active, serialWork = kern, 0
	return func() { active, serialWork = oldK, oldS }
}

func randMatrix(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.Float64()*2 - 1)
	}
	return s
}

// refGemm is the float64 reference: it returns alpha*op(A)*op(B) + beta*C for
// the m x n result and, per element, the sum of the absolute values of the
// terms, which bounds the rounding error of a float32 computation.
func refGemm(opA, opB func(i, j int) float64, m, n, k int, alpha, beta float64, c []float32, ldc int) (want, mag []float64) {
	want = make([]float64, m*n)
	mag = make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, abs float64
			for p := 0; p < k; p++ {
				t := opA(i, p) * opB(p, j)
				s += t
				abs += math.Abs(t)
			}
			s, abs = alpha*s, math.Abs(alpha)*abs
			if beta != 0 {
				cv := float64(c[i*ldc+j])
				s += beta * cv
				abs += math.Abs(beta * cv)
			}
			want[i*n+j], mag[i*n+j] = s, abs
		}
	}
	return want, mag
}

// checkC compares the m x n result in c (leading dimension ldc, starting at
// offset off of a slice whose other elements hold guard) with want, allowing
// the float32 error bound (k+2) * 2^-23 * mag.
func checkC(t *testing.T, name string, c []float32, off, m, n, k, ldc int, want, mag []float64) {
	t.Helper()
	bad := 0
	for idx, v := range c {
		r, col := (idx-off)/ldc, (idx-off)%ldc
		inside := idx >= off && r < m && col < n
		if !inside {
			if v != guard && bad < 5 {
				t.Errorf("%s: stray write at c[%d] = %v", name, idx, v)
				bad++
			}
			continue
		}
		w := want[r*n+col]
		tol := float64(k+2)*0x1p-23*mag[r*n+col] + 1e-30
		if d := math.Abs(float64(v) - w); !(d <= tol) && bad < 5 {
			t.Errorf("%s: C[%d,%d] = %v, want %v (tol %.3g)", name, r, col, v, w, tol)
			bad++
		}
	}
}

// newC returns a slice holding an m x n matrix with leading dimension ldc at
// offset off, guard values elsewhere, and the matrix set from init (or NaN
// when init is nil, for beta == 0: C must then not be read).
func newC(rng *rand.Rand, m, n, ldc, off int, nan bool) []float32 {
	size := off + 3
	if m > 0 {
		size += (m-1)*ldc + n
	}
	c := make([]float32, size)
	for i := range c {
		c[i] = guard
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			if nan {
				c[off+i*ldc+j] = float32(math.NaN())
			} else {
				c[off+i*ldc+j] = float32(rng.Float64()*2 - 1)
			}
		}
	}
	return c
}

type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	pad            int // added to every leading dimension
	threads        int
}

func (tc gemmCase) String() string {
	return fmt.Sprintf("tA=%v,tB=%v,m=%d,n=%d,k=%d,alpha=%v,beta=%v,pad=%d,threads=%d",
		tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.pad, tc.threads)
}

// gemmCases is every transpose combination over odd sizes, with alpha, beta,
// padding and thread count cycling through their values so that each of them
// meets every size class without a full cross product.
func gemmCases(sizes []int) []gemmCase {
	alphaBeta := [][2]float32{{1, 0}, {1, 1}, {0.5, -1.5}, {-2, 0}, {1, 0.25}, {0, 2}, {0, 0}}
	var cases []gemmCase
	i := 0
	for _, tA := range []bool{false, true} {
		for _, tB := range []bool{false, true} {
			for _, m := range sizes {
				for _, n := range sizes {
					for _, k := range append([]int{0}, sizes...) {
						ab := alphaBeta[i%len(alphaBeta)]
						cases = append(cases, gemmCase{tA, tB, m, n, k, ab[0], ab[1], i % 3 * 5, 1 + i%4})
						i++
					}
				}
			}
		}
	}
	return cases
}

// runGemmCase builds random operands for tc, computes the float64 reference
// once, and checks Sgemm with each of kerns against it.
func runGemmCase(t *testing.T, kerns []*kernel, rng *rand.Rand, tc gemmCase) {
	t.Helper()
	rowsA, colsA := tc.m, tc.k
	if tc.transA {
		rowsA, colsA = tc.k, tc.m
	}
	rowsB, colsB := tc.k, tc.n
	if tc.transB {
		rowsB, colsB = tc.n, tc.k
	}
	lda, ldb, ldc := max(1, colsA)+tc.pad, max(1, colsB)+tc.pad, max(1, tc.n)+tc.pad
	a := randMatrix(rng, rowsA*lda)
	b := randMatrix(rng, rowsB*ldb)
	const off = 3
	c0 := newC(rng, tc.m, tc.n, ldc, off, tc.beta == 0)
	opA := func(i, p int) float64 {
		if tc.transA {
			return float64(a[p*lda+i])
		}
		return float64(a[i*lda+p])
	}
	opB := func(p, j int) float64 {
		if tc.transB {
			return float64(b[j*ldb+p])
		}
		return float64(b[p*ldb+j])
	}
	want, mag := refGemm(opA, opB, tc.m, tc.n, tc.k, float64(tc.alpha), float64(tc.beta), c0[off:], ldc)
	c := make([]float32, len(c0))
	for _, kern := range kerns {
		copy(c, c0)
		restore := withKernel(kern)
		SgemmThreads(tc.threads, tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c[off:], ldc)
		restore()
		checkC(t, kern.name+" "+tc.String(), c, off, tc.m, tc.n, tc.k, ldc, want, mag)
	}
}

func TestSgemm(t *testing.T) {
	sizes := []int{1, 3, 17, 33, 65, 129}
	if testing.Short() {
		sizes = []int{1, 3, 17, 65}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range gemmCases(sizes) {
		runGemmCase(t, testKernels(), rng, tc)
		if t.Failed() {
			return
		}
	}
}

// TestSgemmLarge crosses the real block sizes of the fast kernels: k and n
// beyond kc and nc, m beyond mc, with edges everywhere.
func TestSgemmLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("gemm: large sizes skipped in -short")
	}
	cases := []gemmCase{
		{false, false, 37, 4133, 611, 1, 0, 0, 2},
		{false, true, 517, 131, 1029, 0.5, 1, 3, 2},
		{true, false, 263, 517, 300, 1, -1, 1, 3},
		{true, true, 1, 3001, 700, 1, 0.5, 0, 2},
		{false, true, 2, 1500, 520, 1, 0, 0, 2},
		{true, true, 2100, 40, 70, 1, 0, 0, 2},
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range cases {
		runGemmCase(t, availableKernels(), rng, tc)
	}
}

// decoders for SgemmDecodedB: rows of a float32 [N, K] matrix, optionally
// rounded to 11 significant bits like float16 (round to nearest even).
type testDecoder struct {
	t    *testing.T
	b    []float32
	n, k int
	half bool

	mu    sync.Mutex
	calls int
}

func roundHalfLike(v float32) float32 {
	bits := math.Float32bits(v)
	const drop = 13 // float32 has 23 mantissa bits, float16 10
	bits += 1<<(drop-1) - 1 + (bits>>drop)&1
	return math.Float32frombits(bits &^ (1<<drop - 1))
}

func (d *testDecoder) value(j, p int) float32 {
	v := d.b[j*d.k+p]
	if d.half {
		v = roundHalfLike(v)
	}
	return v
}

func (d *testDecoder) decode(dst []float32, n, k0, k1 int) {
	d.mu.Lock()
	d.calls++
	bad := n < 0 || n >= d.n || k0 < 0 || k0%DecodeAlign != 0 || k1 <= k0 || k1 > d.k ||
		(k1%DecodeAlign != 0 && k1 != d.k) || len(dst) < k1-k0
	d.mu.Unlock()
	if bad {
		d.t.Errorf("decode(len %d, n=%d, k0=%d, k1=%d) with N=%d K=%d: range not allowed", len(dst), n, k0, k1, d.n, d.k)
		return
	}
	for p := k0; p < k1; p++ {
		dst[p-k0] = d.value(n, p)
	}
}

func TestSgemmDecodedB(t *testing.T) {
	type dcase struct{ m, n, k int }
	cases := []dcase{{1, 1, 1}, {1, 37, 300}, {1, 8, 512}, {3, 5, 17}, {17, 33, 256}, {65, 70, 600}, {2, 129, 257}, {9, 40, 0}}
	if !testing.Short() {
		cases = append(cases, dcase{130, 300, 1100})
	}
	alphaBeta := [][2]float32{{1, 0}, {0.5, 1}, {1, -0.5}}
	rng := rand.New(rand.NewPCG(5, 6))
	for i, dc := range cases {
		for _, half := range []bool{false, true} {
			ab := alphaBeta[i%len(alphaBeta)]
			alpha, beta := ab[0], ab[1]
			lda, ldc := max(dc.k+i%2, 1), max(dc.n+2*(i%2), 1)
			a := randMatrix(rng, dc.m*lda)
			dec := &testDecoder{t: t, b: randMatrix(rng, dc.n*dc.k), n: dc.n, k: dc.k, half: half}
			const off = 2
			c0 := newC(rng, dc.m, dc.n, ldc, off, beta == 0)
			want, mag := refGemm(
				func(i, p int) float64 { return float64(a[i*lda+p]) },
				func(p, j int) float64 { return float64(dec.value(j, p)) },
				dc.m, dc.n, dc.k, float64(alpha), float64(beta), c0[off:], ldc)
			c := make([]float32, len(c0))
			for _, kern := range testKernels() {
				copy(c, c0)
				dec.calls = 0
				restore := withKernel(kern)
				SgemmDecodedBThreads(1+i%3, dc.m, dc.n, dc.k, alpha, a, lda, dec.decode, beta, c[off:], ldc)
				restore()
				name := fmt.Sprintf("%s m=%d n=%d k=%d half=%v", kern.name, dc.m, dc.n, dc.k, half)
				checkC(t, name, c, off, dc.m, dc.n, dc.k, ldc, want, mag)
				if dc.k > 0 && dec.calls == 0 {
					t.Errorf("%s: decoder never called", name)
				}
			}
		}
	}
}

// TestNaive checks the kept naive loops against the float64 reference, so
// that they stay a trustworthy statement of what the fast code computes.
func TestNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tc := range gemmCases([]int{1, 4, 9}) {
		rowsA, colsA := tc.m, tc.k
		if tc.transA {
			rowsA, colsA = tc.k, tc.m
		}
		rowsB, colsB := tc.k, tc.n
		if tc.transB {
			rowsB, colsB = tc.n, tc.k
		}
		lda, ldb, ldc := max(1, colsA), max(1, colsB), tc.n
		a, b := randMatrix(rng, rowsA*lda), randMatrix(rng, rowsB*ldb)
		c := newC(rng, tc.m, tc.n, ldc, 0, false)
		opA := func(i, p int) float64 {
			if tc.transA {
				return float64(a[p*lda+i])
			}
			return float64(a[i*lda+p])
		}
		opB := func(p, j int) float64 {
			if tc.transB {
				return float64(b[j*ldb+p])
			}
			return float64(b[p*ldb+j])
		}
		want, mag := refGemm(opA, opB, tc.m, tc.n, tc.k, float64(tc.alpha), float64(tc.beta), c, ldc)
		naiveSgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
		checkC(t, "naive "+tc.String(), c, 0, tc.m, tc.n, tc.k, ldc, want, mag)
	}
	// The decoded form equals the plain one on a float32 decoder.
	dec := &testDecoder{t: t, b: randMatrix(rng, 7*300), n: 7, k: 300}
	a := randMatrix(rng, 5*300)
	got, want := make([]float32, 5*7), make([]float32, 5*7)
	naiveSgemmDecodedB(5, 7, 300, 1, a, 300, dec.decode, 0, got, 7)
	naiveSgemm(false, true, 5, 7, 300, 1, a, 300, dec.b, 300, 0, want, 7)
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("naiveSgemmDecodedB[%d] = %v, naiveSgemm %v", i, got[i], want[i])
		}
	}
}

func TestSgemmPanics(t *testing.T) {
	a, b, c := make([]float32, 12), make([]float32, 12), make([]float32, 12)
	for name, f := range map[string]func(){
		"negative m":   func() { Sgemm(false, false, -1, 3, 4, 1, a, 4, b, 3, 0, c, 3) },
		"short lda":    func() { Sgemm(false, false, 3, 3, 4, 1, a, 3, b, 3, 0, c, 3) },
		"short A":      func() { Sgemm(false, false, 4, 3, 4, 1, a, 4, b, 3, 0, c, 3) },
		"short B":      func() { Sgemm(false, true, 3, 4, 4, 1, a, 4, b, 4, 0, c, 4) },
		"short C":      func() { Sgemm(false, false, 3, 5, 4, 1, a, 4, make([]float32, 20), 5, 0, c, 5) },
		"nil decoder":  func() { SgemmDecodedB(3, 3, 4, 1, a, 4, nil, 0, c, 3) },
		"short ldc":    func() { Sgemm(false, false, 3, 3, 4, 1, a, 4, b, 3, 0, c, 2) },
		"transA short": func() { Sgemm(true, false, 3, 3, 5, 1, a, 3, b, 3, 0, c, 3) },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("%s: no panic", name)
				} else if s, ok := r.(string); !ok || len(s) < 6 || s[:6] != "gemm: " {
					t.Errorf("%s: panic %v lacks the gemm: prefix", name, r)
				}
			}()
			f()
		}()
	}
}

func TestEvenSplit(t *testing.T) {
	for _, tc := range []struct{ n, limit, unit, want int }{
		{768, 512, 8, 384},
		{1024, 512, 8, 512},
		{1000, 512, 256, 512},
		{100, 512, 256, 256},
		{3, 512, 8, 8},
		{600, 300, 256, 256},
	} {
		if got := evenSplit(tc.n, tc.limit, tc.unit); got != tc.want {
			t.Errorf("evenSplit(%d, %d, %d) = %d, want %d", tc.n, tc.limit, tc.unit, got, tc.want)
		}
	}
}

// TestTransposeRows checks the transposing pack (assembly where the kernel
// has it) against its definition, for every kc remainder mod 16.
func TestTransposeRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, kern := range availableKernels() {
		for kc := 1; kc <= 50; kc++ {
			ld := kc + kc%3
			src := randMatrix(rng, kern.nr*ld)
			panel := make([]float32, kern.nr*kc+16)
			for i := range panel {
				panel[i] = guard
			}
			transposeRows(panel, src, ld, kc, kern)
			for i, v := range panel {
				want := guard
				if i < kern.nr*kc {
					want = src[(i%kern.nr)*ld+i/kern.nr]
				}
				if v != want {
					t.Fatalf("%s kc=%d: panel[%d] = %v, want %v", kern.name, kc, i, v, want)
				}
			}
		}
	}
}

// TestSgemmConcurrent runs products from several goroutines at once, as a
// backend that is itself parallel (one GEMM per attention head) does: the
// pooled buffers and the per-call driver state must not be shared.
func TestSgemmConcurrent(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const m, n, k = 150, 70, 300
	a, b := randMatrix(rng, m*k), randMatrix(rng, n*k)
	want := make([]float32, m*n)
	naiveSgemm(false, true, m, n, k, 1, a, k, b, k, 0, want, n)
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := make([]float32, m*n)
			for rep := 0; rep < 5; rep++ {
				SgemmThreads(1+g%3, false, true, m, n, k, 1, a, k, b, k, 0, c, n)
				for i := range c {
					if d := math.Abs(float64(c[i] - want[i])); d > 1e-3 {
						t.Errorf("goroutine %d: C[%d] = %v, want %v", g, i, c[i], want[i])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

// TestMicroSteps runs each fp32 micro-kernel alone on k steps around its
// loop boundaries (the unroll, and the C prefetch 128 steps before the
// end, gen_amd64.go), with beta 0 and 1, against a float64 sum.
func TestMicroSteps(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, kern := range availableKernels() {
		mr, nr := kern.mr, kern.nr
		for _, k := range []int{0, 1, 3, 4, 5, 127, 128, 131, 132, 133, 135, 136, 137, 260, 263} {
			a, b := randMatrix(rng, mr*k), randMatrix(rng, nr*k)
			for _, beta := range []float32{0, 1} {
				const ldc = 40
				c := randMatrix(rng, mr*ldc)
				c0 := append([]float32(nil), c...)
				if k == 0 {
					kern.micro(k, nil, nil, &c[0], ldc, 0.5, beta)
				} else {
					kern.micro(k, &a[0], &b[0], &c[0], ldc, 0.5, beta)
				}
				for i := 0; i < mr; i++ {
					for j := 0; j < ldc; j++ {
						want := float64(c0[i*ldc+j])
						if j < nr {
							var s, mag float64
							for p := 0; p < k; p++ {
								s += float64(a[p*mr+i]) * float64(b[p*nr+j])
								mag += math.Abs(float64(a[p*mr+i]) * float64(b[p*nr+j]))
							}
							want = 0.5*s + float64(beta)*want
							if d := math.Abs(float64(c[i*ldc+j]) - want); d > 1e-5*(mag+1) {
								t.Fatalf("%s k=%d beta=%v: C[%d,%d] = %v, want %v", kern.name, k, beta, i, j, c[i*ldc+j], want)
							}
						} else if c[i*ldc+j] != c0[i*ldc+j] {
							t.Fatalf("%s k=%d: wrote C[%d,%d] outside the tile", kern.name, k, i, j)
						}
					}
				}
			}
		}
	}
}
