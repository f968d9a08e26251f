package kerneltest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/distill-dev/distill/kernels"
)

// Run checks every method of b against the float64 references of this
// package. It only uses the kernels.Backend interface, so every backend
// (cpu, cuda) runs the same suite.
func Run(t *testing.T, b kernels.Backend) {
	groups := []struct {
		name string
		fn   func(*env)
	}{
		{"Storage", testStorage},
		{"BlockStorage", testBlockStorage},
		{"Copy", testCopy},
		{"MatMul", testMatMul},
		{"MatMulBlock", testMatMulBlock},
		{"MatMulNonFinite", testMatMulNonFinite},
		{"Elementwise", testElementwise},
		{"Bias", testBias},
		{"RMSNorm", testRMSNorm},
		{"LayerNorm", testLayerNorm},
		{"RoPE", testRoPE},
		{"Attention", testAttention},
		{"AttentionBackward", testAttentionBackward},
		{"AttentionDecode", testAttentionDecode},
		{"AttentionManyBatches", testAttentionManyBatches},
		{"CopyRows", testCopyRows},
		{"Activations", testActivations},
		{"Embedding", testEmbedding},
		{"LogSoftmax", testLogSoftmax},
		{"CrossEntropy", testCrossEntropy},
		{"Panics", testPanics},
		// Later additions go last: each group's random data is seeded by
		// its index, so earlier groups keep theirs.
		{"SliceRows", testSliceRows},
		{"MatMulSharedA", testMatMulSharedA},
	}
	for i, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			e := &env{T: t, b: b, rng: rand.New(rand.NewPCG(uint64(i)+1, 42))}
			skipUnimplemented(t, func() { g.fn(e) })
		})
	}
}

// FloatTypes are the plain float storage types every op supports.
var FloatTypes = []kernels.DType{kernels.F32, kernels.F16, kernels.BF16}

// Tol is the tolerance for a value stored in dt, relative to max(1, |want|):
// float32 compute error for F32, and one rounding of the output (half an
// ulp, doubled for slack) plus compute error for the 16-bit types. Inputs are
// rounded to their dtype before the reference sees them, so input rounding
// does not count.
func Tol(dt kernels.DType) float64 {
	switch dt {
	case kernels.F16:
		return 2e-3 // 2^-11 relative rounding
	case kernels.BF16:
		return 1.6e-2 // 2^-8 relative rounding
	}
	return 1e-4
}

// env carries one test group's backend and random source.
type env struct {
	*testing.T
	b   kernels.Backend
	rng *rand.Rand
}

// skipUnimplemented turns a panic from a placeholder package (qblock,
// half) saying "not implemented" into a skip, so the suite runs while
// those packages are being written.
func skipUnimplemented(t *testing.T, fn func()) {
	defer func() {
		if r := recover(); r != nil {
			if s := fmt.Sprint(r); strings.Contains(s, "not implemented") {
				t.Skipf("skipped: %s", s)
			}
			panic(r)
		}
	}()
	fn()
}

// randn returns n normal values times scale.
func (e *env) randn(n int, scale float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(e.rng.NormFloat64() * scale)
	}
	return v
}

func numel(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

// guardShape is shape with one extra row before and after along the first
// dimension (a 0-d shape is treated as [1]).
func guardShape(shape []int) (parent []int, per int) {
	if len(shape) == 0 {
		shape = []int{1}
	}
	parent = append([]int{shape[0] + 2}, shape[1:]...)
	return parent, numel(shape[1:])
}

// Guarded is a tensor created as a View of a larger parent, with a guard row
// of known values before and after, to catch writes outside the tensor.
type Guarded struct {
	T      kernels.Tensor // the view under test
	parent kernels.Tensor
	per    int       // elements per guard row
	guards []float32 // parent contents as created
	dt     kernels.DType
}

// tensor creates a guarded tensor of dtype dt holding vals (nil: NaN, for
// outputs that must be written before being read) with guard rows of guard.
// It returns the values as stored (rounded to dt) in float64.
func (e *env) tensor(dt kernels.DType, vals []float32, guard float32, shape ...int) (*Guarded, []float64) {
	n := numel(shape)
	if vals == nil {
		vals = make([]float32, n)
		for i := range vals {
			vals[i] = float32(math.NaN())
		}
	}
	if len(vals) != n {
		panic(fmt.Sprintf("kerneltest: %d values for shape %v", len(vals), shape))
	}
	ps, per := guardShape(shape)
	data := make([]float32, numel(ps))
	for i := range data {
		data[i] = guard
	}
	copy(data[per:], vals)
	parent := e.b.FromFloat32(dt, data, ps...)
	view := e.b.View(parent, 1, ps[0]-1)
	if len(shape) != len(ps) || len(shape) == 0 {
		view = e.b.Reshape(view, shape...)
	}
	g := &Guarded{T: view, parent: parent, per: per, dt: dt}
	g.guards = e.b.ToFloat32(parent, nil)
	stored := make([]float64, n)
	for i := range stored {
		stored[i] = float64(g.guards[per+i])
	}
	return g, stored
}

// input is a guarded input tensor of random normal values (times scale),
// with NaN guards so that reads outside it poison the result.
func (e *env) input(dt kernels.DType, scale float64, shape ...int) (kernels.Tensor, []float64) {
	g, v := e.tensor(dt, e.randn(numel(shape), scale), float32(math.NaN()), shape...)
	return g.T, v
}

// output is a guarded output tensor; init nil means NaN contents (the op
// must not read them), otherwise random values for accumulating outputs.
func (e *env) output(dt kernels.DType, accumulate bool, shape ...int) (*Guarded, []float64) {
	var vals []float32
	if accumulate {
		vals = e.randn(numel(shape), 1)
	}
	return e.tensor(dt, vals, 4096, shape...)
}

// check compares g against want with tolerance tol relative to
// max(1, |want|) and verifies the guard rows are untouched.
func (e *env) check(name string, g *Guarded, want []float64, tol float64) {
	e.Helper()
	got := e.b.ToFloat32(g.parent, nil)
	n := len(got) - 2*g.per
	if n != len(want) {
		e.Fatalf("%s: %d values, want %d", name, n, len(want))
	}
	for i := 0; i < g.per; i++ {
		for _, j := range []int{i, len(got) - g.per + i} {
			if math.Float32bits(got[j]) != math.Float32bits(g.guards[j]) {
				e.Fatalf("%s: guard element %d changed from %v to %v (write outside the tensor)", name, j, g.guards[j], got[j])
			}
		}
	}
	compare(e.T, name, got[g.per:g.per+n], want, tol)
}

// compare reports values of got that differ from want by more than
// tol*max(1, |want|).
func compare(t *testing.T, name string, got []float32, want []float64, tol float64) {
	t.Helper()
	bad, worst, wi := 0, 0.0, -1
	for i, w := range want {
		g := float64(got[i])
		d := math.Abs(g - w)
		lim := tol * math.Max(1, math.Abs(w))
		if d > lim || math.IsNaN(g) != math.IsNaN(w) {
			if bad < 5 {
				t.Errorf("%s[%d] = %v, want %v (|diff| %.3g > %.3g)", name, i, g, w, d, lim)
			}
			bad++
		}
		if d/math.Max(1, math.Abs(w)) > worst || math.IsNaN(d) {
			worst, wi = d/math.Max(1, math.Abs(w)), i
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values out of tolerance %.3g (worst relative error %.3g at %d)", name, bad, len(want), tol, worst, wi)
	}
}

// mustPanic checks that fn panics with a "kernels:" message.
func mustPanic(t *testing.T, what string, fn func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Errorf("%s: no panic", what)
			return
		}
		if s := fmt.Sprint(r); !strings.HasPrefix(s, "kernels:") {
			t.Errorf("%s: panic %q lacks the \"kernels:\" prefix", what, s)
		}
	}()
	fn()
}

// maxTol is the larger tolerance of the dtypes involved.
func maxTol(dts ...kernels.DType) float64 {
	t := 0.0
	for _, d := range dts {
		t = math.Max(t, Tol(d))
	}
	return t
}

func f64(v []float32) []float64 {
	o := make([]float64, len(v))
	for i, x := range v {
		o[i] = float64(x)
	}
	return o
}
