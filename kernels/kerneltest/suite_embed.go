package kerneltest

import (
	"fmt"
	"testing"

	"github.com/distill-dev/distill/kernels"
)

func testCopyRows(e *env) { testRowSpan(e, "CopyRows", e.b.CopyRows, true) }

// testRowSpan checks op between part [B, T, C] and rows [pos, pos+T) of
// whole [B, S, C]: CopyRows writes the rows (into), SliceRows reads them.
func testRowSpan(e *env, name string, op func(dst, src kernels.Tensor, pos int), into bool) {
	for _, sdt := range FloatTypes {
		for _, ddt := range FloatTypes {
			B, T, S, C, pos := 2, 3, 7, 5, 4
			ps, ws := []int{B, T, C}, []int{B, S, C}
			if !into {
				ps, ws = ws, ps
			}
			src, sv := e.input(sdt, 1, ps...)
			dst, dv := e.output(ddt, into, ws...)
			op(dst.T, src, pos)
			for b := 0; b < B; b++ {
				p, w := b*T*C, (b*S+pos)*C // part and whole offsets
				if into {
					copy(dv[w:w+T*C], sv[p:p+T*C])
				} else {
					copy(dv[p:p+T*C], sv[w:w+T*C])
				}
			}
			e.check(fmt.Sprintf("%s %s->%s", name, sdt, ddt), dst, dv, Tol(ddt))
		}
	}
}

func testSliceRows(e *env) {
	testRowSpan(e, "SliceRows", e.b.SliceRows, false)
	// Block types copy whole rows of bytes: one part of stacked Q8_0 rows.
	vals := make([]float32, 4*6*32)
	for i := range vals {
		vals[i] = float32(e.rng.NormFloat64())
	}
	src := e.b.FromFloat32(kernels.Q8_0, vals, 4, 6, 32)
	dst := e.b.Zeros(kernels.Q8_0, 4, 2, 32)
	e.b.SliceRows(dst, src, 3)
	got, all := e.b.ToFloat32(dst, nil), e.b.ToFloat32(src, nil)
	for b := 0; b < 4; b++ {
		for i := 0; i < 2*32; i++ {
			if w := all[(b*6+3)*32+i]; got[b*2*32+i] != w {
				e.T.Fatalf("SliceRows Q8_0: batch %d element %d = %g, want %g", b, i, got[b*2*32+i], w)
			}
		}
	}
}

func testEmbedding(e *env) {
	const V, P = 11, 16
	for _, dt := range FloatTypes {
		for _, withPos := range []bool{false, true} {
			B, T, C, posStart := 3, 4, 24, 5
			ids := make([]int32, B*T)
			for i := range ids {
				ids[i] = int32(e.rng.IntN(V))
			}
			ids[1] = ids[0] // repeated ids accumulate in the backward
			table, tv := e.input(dt, 1, V, C)
			var pos kernels.Tensor
			var pv []float64
			if withPos {
				pos, pv = e.input(dt, 1, P, C)
			}
			name := fmt.Sprintf("Embedding %s pos=%v", dt, withPos)
			out, _ := e.output(dt, false, B*T, C)
			e.b.Embedding(out.T, table, pos, ids, T, posStart)
			want := make([]float64, B*T*C)
			RefEmbedding(want, tv, pv, ids, C, T, posStart)
			e.check(name, out, want, Tol(dt))

			out3, _ := e.output(kernels.F32, false, B, T, C)
			e.b.Embedding(out3.T, table, pos, ids, T, posStart)
			e.check(name+" [B,T,C] F32 out", out3, want, Tol(kernels.F32))

			dout, dov := e.input(dt, 1, B*T, C)
			dt_, dtv := e.output(dt, true, V, C)
			var dp *Guarded
			var dpT kernels.Tensor
			var dpv []float64
			if withPos {
				dp, dpv = e.output(dt, true, P, C)
				dpT = dp.T
			}
			e.b.EmbeddingBackward(dt_.T, dpT, dout, ids, T, posStart)
			RefEmbeddingBackward(dtv, dpv, dov, ids, C, T, posStart)
			e.check(name+" backward dtable", dt_, dtv, Tol(dt))
			if withPos {
				e.check(name+" backward dpos", dp, dpv, Tol(dt))
			}
		}
	}
	// Block-typed tables are decoded row by row.
	for _, dt := range BlockTypes {
		e.Run(dt.String(), func(t *testing.T) {
			skipUnimplemented(t, func() {
				C := 256
				table := e.b.FromFloat32(dt, e.randn(V*C, 1), V, C)
				tv := f64(e.b.ToFloat32(table, nil))
				ids := []int32{3, 0, 10, 3}
				out, _ := e.output(kernels.F32, false, 4, C)
				e.b.Embedding(out.T, table, nil, ids, 4, 0)
				want := make([]float64, 4*C)
				RefEmbedding(want, tv, nil, ids, C, 4, 0)
				(&env{T: t, b: e.b}).check("Embedding "+dt.String(), out, want, Tol(kernels.F32))
			})
		})
	}
}

func testLogSoftmax(e *env) {
	for _, dt := range FloatTypes {
		for _, sh := range [][]int{{1, 1}, {3, 7}, {2, 2, 33}, {4, 32000}} {
			n, c := numel(sh[:len(sh)-1]), sh[len(sh)-1]
			x, xv := e.input(dt, 3, sh...)
			out, _ := e.output(dt, false, sh...)
			e.b.LogSoftmax(out.T, x)
			want := make([]float64, n*c)
			RefLogSoftmax(want, xv, n, c)
			e.check(fmt.Sprintf("LogSoftmax %s %v", dt, sh), out, want, Tol(dt))
		}
	}
	// Large logits must not overflow.
	x := e.b.FromFloat32(kernels.F32, []float32{1000, 999, -1000}, 1, 3)
	out, _ := e.output(kernels.F32, false, 1, 3)
	e.b.LogSoftmax(out.T, x)
	want := make([]float64, 3)
	RefLogSoftmax(want, []float64{1000, 999, -1000}, 1, 3)
	e.check("LogSoftmax large logits", out, want, Tol(kernels.F32))
}

func testCrossEntropy(e *env) {
	for _, dt := range FloatTypes {
		for _, sh := range [][]int{{1, 1}, {3, 7}, {2, 5, 33}, {8, 32000}} {
			n, c := numel(sh[:len(sh)-1]), sh[len(sh)-1]
			targets := make([]int32, n)
			for i := range targets {
				targets[i] = int32(e.rng.IntN(c))
			}
			if n > 1 {
				targets[1] = -1 // ignored
			}
			x, xv := e.input(dt, 3, sh...)
			loss, _ := e.output(kernels.F32, false, n)
			e.b.CrossEntropy(loss.T, x, targets)
			want := make([]float64, n)
			RefCrossEntropy(want, xv, targets, n, c)
			name := fmt.Sprintf("CrossEntropy %s %v", dt, sh)
			e.check(name, loss, want, Tol(kernels.F32))

			dx, dxv := e.output(dt, true, sh...)
			e.b.CrossEntropyBackward(dx.T, x, targets, 0.25)
			RefCrossEntropyBackward(dxv, xv, targets, n, c, 0.25)
			e.check(name+" backward", dx, dxv, Tol(dt))
		}
	}
	x := e.b.FromFloat32(kernels.F32, []float32{1000, 999, -1000, 0, 0, 0}, 2, 3)
	loss, _ := e.output(kernels.F32, false, 2)
	e.b.CrossEntropy(loss.T, x, []int32{1, 2})
	want := make([]float64, 2)
	RefCrossEntropy(want, []float64{1000, 999, -1000, 0, 0, 0}, []int32{1, 2}, 2, 3)
	e.check("CrossEntropy large logits", loss, want, Tol(kernels.F32))
}

// testPanics checks that caller mistakes panic with the "kernels:" prefix.
func testPanics(e *env) {
	b := e.b
	x := b.Zeros(kernels.F32, 2, 3)
	y := b.Zeros(kernels.F32, 3, 2)
	w := b.Zeros(kernels.F32, 4)
	mustPanic(e.T, "Add shape mismatch", func() { b.Add(x, x, b.Zeros(kernels.F32, 7)) })
	mustPanic(e.T, "MatMul inner mismatch", func() { b.MatMul(b.Zeros(kernels.F32, 2, 2), x, x, false, false, 1, 0) })
	mustPanic(e.T, "MatMul out shape", func() { b.MatMul(b.Zeros(kernels.F32, 2, 3), x, y, false, false, 1, 0) })
	mustPanic(e.T, "RMSNorm weight size", func() { b.RMSNorm(x, nil, x, w, 1e-5) })
	mustPanic(e.T, "Embedding id out of range", func() { b.Embedding(x, y, nil, []int32{0, 3}, 2, 0) })
	mustPanic(e.T, "View out of range", func() { b.View(x, 1, 3) })
	mustPanic(e.T, "Reshape element count", func() { b.Reshape(x, 7) })
	mustPanic(e.T, "FromFloat32 length", func() { b.FromFloat32(kernels.F32, []float32{1}, 2) })
	mustPanic(e.T, "Attention heads", func() {
		b.Attention(x, nil, x, x, x, kernels.AttentionParams{NHeads: 3, NKVHeads: 2, HeadDim: 1, Scale: 1})
	})
	mustPanic(e.T, "RoPE odd head dim", func() { b.RoPE(x, kernels.RoPEParams{NHeads: 1, HeadDim: 3, Theta: 1e4}) })
	mustPanic(e.T, "RoPE bad style", func() { b.RoPE(y, kernels.RoPEParams{Style: 7, NHeads: 1, HeadDim: 2, Theta: 1e4}) })
	mustPanic(e.T, "RoPE factor count", func() {
		b.RoPE(y, kernels.RoPEParams{NHeads: 1, HeadDim: 2, Theta: 1e4, FreqFactors: []float32{1, 2}})
	})
	mustPanic(e.T, "RoPE zero factor", func() {
		b.RoPE(y, kernels.RoPEParams{NHeads: 1, HeadDim: 2, Theta: 1e4, FreqFactors: []float32{0}})
	})
	mustPanic(e.T, "CrossEntropy target out of range", func() { b.CrossEntropy(b.Zeros(kernels.F32, 2), x, []int32{0, 3}) })
}
