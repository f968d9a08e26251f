package kerneltest

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/qblock"
)

// matmulCase is one MatMul shape: bt products of [m, k] x [k, n].
type matmulCase struct {
	bt, m, n, k    int
	transA, transB bool
	batched        bool // a and out are 3-d [bt, ...]
	bShared        bool // b is 2-d
	aShared        bool // a is 2-d, b and out 3-d [bt, ...] (stacked weights)
	flat           int  // > 0: a is [flat, m/flat, k] with a 2-d b (leading dims flattened)
	alpha, beta    float32
}

func (c matmulCase) String() string {
	return fmt.Sprintf("bt%d_m%d_n%d_k%d_tA%v_tB%v_shared%v_ashared%v_flat%d_a%g_b%g", c.bt, c.m, c.n, c.k, c.transA, c.transB, c.bShared, c.aShared, c.flat, c.alpha, c.beta)
}

func matmulCases() []matmulCase {
	var cs []matmulCase
	for _, tA := range []bool{false, true} {
		for _, tB := range []bool{false, true} {
			cs = append(cs,
				matmulCase{bt: 1, m: 1, n: 1, k: 1, transA: tA, transB: tB, bShared: true, alpha: 1},
				matmulCase{bt: 1, m: 3, n: 5, k: 7, transA: tA, transB: tB, bShared: true, alpha: 1},
				matmulCase{bt: 1, m: 67, n: 33, k: 129, transA: tA, transB: tB, bShared: true, alpha: 0.5, beta: 1.5},
				matmulCase{bt: 1, m: 130, n: 80, k: 70, transA: tA, transB: tB, bShared: true, alpha: 1},
				matmulCase{bt: 3, m: 9, n: 11, k: 13, transA: tA, transB: tB, batched: true, alpha: 1, beta: -1},
				matmulCase{bt: 2, m: 9, n: 11, k: 13, transA: tA, transB: tB, batched: true, bShared: true, alpha: 2},
			)
		}
	}
	cs = append(cs,
		matmulCase{bt: 1, m: 2, n: 300, k: 64, transB: true, bShared: true, alpha: 1},
		matmulCase{bt: 1, m: 20, n: 40, k: 300, transB: true, bShared: true, alpha: 1, beta: 1},
		matmulCase{bt: 1, m: 10, n: 6, k: 8, transB: true, bShared: true, flat: 2, alpha: 1},
		matmulCase{bt: 1, m: 12, n: 6, k: 8, bShared: true, flat: 3, alpha: 1, beta: 0.5},
		matmulCase{bt: 1, m: 3, n: 4, k: 0, bShared: true, alpha: 1, beta: 0.5},
		matmulCase{bt: 1, m: 3, n: 4, k: 0, transB: true, bShared: true, alpha: 1},
	)
	return cs
}

// shapes returns the tensor shapes of a, b and out for c.
func (c matmulCase) shapes() (a, b, out []int) {
	a = []int{c.m, c.k}
	if c.transA {
		a = []int{c.k, c.m}
	}
	out = []int{c.m, c.n}
	switch {
	case c.flat > 0:
		a = []int{c.flat, c.m / c.flat, c.k}
		out = []int{c.flat, c.m / c.flat, c.n}
	case c.batched:
		a = append([]int{c.bt}, a...)
		out = append([]int{c.bt}, out...)
	case c.aShared:
		out = append([]int{c.bt}, out...)
	}
	b = []int{c.k, c.n}
	if c.transB {
		b = []int{c.n, c.k}
	}
	if !c.bShared {
		b = append([]int{c.bt}, b...)
	}
	return a, b, out
}

// run checks one case with the given dtypes; bT (optional) replaces the
// random b, with bv its values.
func (c matmulCase) run(e *env, adt, bdt, odt kernels.DType, bT kernels.Tensor, bv []float64) {
	as, bs, os := c.shapes()
	a, av := e.input(adt, 1, as...)
	if bT == nil {
		bT, bv = e.input(bdt, 1, bs...)
	}
	out, ov := e.output(odt, c.beta != 0, os...)
	e.b.MatMul(out.T, a, bT, c.transA, c.transB, c.alpha, c.beta)
	if c.aShared { // the reference reads one a per batch entry
		av = slices.Repeat(av, c.bt)
	}
	RefMatMul(ov, av, bv, c.bt, c.m, c.n, c.k, c.transA, c.transB, c.bShared, float64(c.alpha), float64(c.beta))
	e.check(fmt.Sprintf("MatMul %v a=%s b=%s out=%s", c, adt, bdt, odt), out, ov, maxTol(odt))
}

func testMatMul(e *env) {
	F32, F16, BF16 := kernels.F32, kernels.F16, kernels.BF16
	mixes := [][3]kernels.DType{{F32, F32, F32}, {F32, BF16, F32}, {BF16, BF16, BF16}, {F16, F16, F32}, {F32, F16, F16}, {BF16, F32, F16}}
	for _, c := range matmulCases() {
		for _, m := range mixes {
			c.run(e, m[0], m[1], m[2], nil, nil)
		}
	}
	// Every dtype combination on a small odd shape.
	for _, adt := range FloatTypes {
		for _, bdt := range FloatTypes {
			for _, odt := range FloatTypes {
				for _, tB := range []bool{false, true} {
					matmulCase{bt: 1, m: 5, n: 7, k: 9, transB: tB, bShared: true, alpha: 1, beta: 0.25}.run(e, adt, bdt, odt, nil, nil)
				}
			}
		}
	}
}

// testMatMulSharedA multiplies one 2-d a by a stack of weights b [bt, ...]
// (model's stacked gate/up), in the dtype mixes of testMatMul.
func testMatMulSharedA(e *env) {
	F32, F16, BF16 := kernels.F32, kernels.F16, kernels.BF16
	for _, tA := range []bool{false, true} {
		for _, tB := range []bool{false, true} {
			for _, m := range [][3]kernels.DType{{F32, F32, F32}, {F32, BF16, F32}, {BF16, BF16, BF16}, {F32, F16, F16}} {
				matmulCase{bt: 3, m: 9, n: 11, k: 13, transA: tA, transB: tB, aShared: true, alpha: 1, beta: 0.5}.run(e, m[0], m[1], m[2], nil, nil)
			}
		}
	}
	matmulCase{bt: 2, m: 17, n: 40, k: 64, transB: true, aShared: true, alpha: 1}.run(e, F32, BF16, F32, nil, nil)
}

// BlockTypes are the quantized weight types MatMul accepts as b (transB).
var BlockTypes = []kernels.DType{
	kernels.Q8_0, kernels.Q4_0, kernels.Q4_1, kernels.Q4_K, kernels.Q6_K,
	kernels.Q5_0, kernels.Q5_1, kernels.Q5_K, kernels.Q3_K, kernels.Q2_K, kernels.I8CH,
	kernels.I4S_G32, kernels.I4S_G64, kernels.I4S_G128, kernels.I4A_G32, kernels.I4A_G64, kernels.I4A_G128,
}

// runBlock is run for block-typed weights w (values wv): where w's type
// has an integer dot product (qblock.ActType), a backend may quantize each
// row of a to 8 bits first, as llama.cpp does (qblock.QuantizeAct); the
// output must then equal, to float32 rounding, the product with those
// activations (Act.Decode) instead of the float one.
func (c matmulCase) runBlock(e *env, adt, odt kernels.DType, w kernels.Tensor, wv []float64) {
	as, _, os := c.shapes()
	a, av := e.input(adt, 1, as...)
	out, ov := e.output(odt, c.beta != 0, os...)
	ov8 := append([]float64(nil), ov...)
	e.b.MatMul(out.T, a, w, c.transA, c.transB, c.alpha, c.beta)
	RefMatMul(ov, av, wv, c.bt, c.m, c.n, c.k, c.transA, c.transB, c.bShared, float64(c.alpha), float64(c.beta))
	name := fmt.Sprintf("MatMul %v a=%s b=%s out=%s", c, adt, w.DType(), odt)
	tol := maxTol(odt)
	if _, ok := qblock.ActType(w.DType()); ok && !c.transA {
		got := e.b.ToFloat32(out.parent, nil)[out.per:]
		if !within(got, ov, tol) {
			av8 := make([]float64, len(av))
			row, deq := make([]float32, c.k), make([]float32, c.k)
			var act qblock.Act
			for r := 0; r < len(av)/c.k; r++ {
				for j := range row {
					row[j] = float32(av[r*c.k+j])
				}
				qblock.QuantizeAct(&act, w.DType(), row)
				act.Decode(deq)
				for j, v := range deq {
					av8[r*c.k+j] = float64(v)
				}
			}
			RefMatMul(ov8, av8, wv, c.bt, c.m, c.n, c.k, c.transA, c.transB, c.bShared, float64(c.alpha), float64(c.beta))
			e.check(name+" (8-bit activations)", out, ov8, tol)
			return
		}
	}
	e.check(name, out, ov, tol)
}

// within reports whether got[i] is within tol*max(1, |want[i]|) of want[i]
// for every i < len(want).
func within(got []float32, want []float64, tol float64) bool {
	for i, w := range want {
		if !(math.Abs(float64(got[i])-w) <= tol*math.Max(1, math.Abs(w))) {
			return false
		}
	}
	return true
}

// testMatMulBlock multiplies by block-typed weights [N, K] (created with
// FromFloat32, which quantizes); the reference uses their dequantized
// values, so only the backend's decoding and accumulation are tested (and,
// for the types with integer dot products, its activation quantization:
// runBlock).
func testMatMulBlock(e *env) {
	for _, dt := range BlockTypes {
		e.Run(dt.String(), func(t *testing.T) {
			skipUnimplemented(t, func() {
				e := &env{T: t, b: e.b, rng: e.rng}
				ks := []int{512}
				if dt.BlockSize() == 0 {
					ks = append(ks, 300)
				}
				for _, k := range ks {
					n := 40
					w := e.b.FromFloat32(dt, e.randn(n*k, 1), n, k)
					wv := f64(e.b.ToFloat32(w, nil))
					for _, m := range []int{1, 5, 17} {
						for _, odt := range []kernels.DType{kernels.F32, kernels.BF16} {
							c := matmulCase{bt: 1, m: m, n: n, k: k, transB: true, bShared: true, alpha: 1}
							c.runBlock(e, kernels.F32, odt, w, wv)
							c.beta = 1
							c.runBlock(e, kernels.F16, odt, w, wv)
						}
					}
					c := matmulCase{bt: 1, m: 6, n: n, k: k, transB: true, bShared: true, flat: 2, alpha: 1}
					c.runBlock(e, kernels.F32, kernels.F32, w, wv)
				}
			})
		})
	}
}
