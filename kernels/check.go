package kernels

import (
	"fmt"
	"math"
	"slices"
)

// Argument checks shared by the backends. Every Backend applies the same
// rules to its arguments, so they live here once: a caller mistake panics
// with a "kernels: Op: ..." message whatever the backend.
//
// The checks are generic over a backend's concrete tensor pointer type so
// that a nil pointer (an absent optional tensor) compares as nil; a nil
// *tensor stored in a Tensor interface would not.

// TensorRef is a backend's concrete tensor type, such as *cpu.tensor; its
// String names it in panic messages.
type TensorRef interface {
	comparable
	Tensor
	fmt.Stringer
}

func isNil[T TensorRef](t T) bool {
	var zero T
	return t == zero
}

// MustFloat panics unless every non-nil tensor has a plain float dtype.
func MustFloat[T TensorRef](op string, ts ...T) {
	for _, t := range ts {
		if !isNil(t) && !t.DType().IsFloat() {
			panic(fmt.Sprintf("kernels: %s: %s must be a float type", op, t))
		}
	}
}

// MustF32 panics when t is non-nil and not F32; what names t's role.
func MustF32[T TensorRef](op, what string, t T) {
	if !isNil(t) && t.DType() != F32 {
		panic(fmt.Sprintf("kernels: %s: %s %s must be F32", op, what, t))
	}
}

// MustNumel panics unless every non-nil tensor holds want elements.
func MustNumel[T TensorRef](op string, want int, ts ...T) {
	for _, t := range ts {
		if !isNil(t) && Numel(t) != want {
			panic(fmt.Sprintf("kernels: %s: %s has %d elements, want %d", op, t, Numel(t), want))
		}
	}
}

// MustSameShape panics unless every tensor in ts has a's shape.
func MustSameShape[T TensorRef](op string, a T, ts ...T) {
	for _, t := range ts {
		if !slices.Equal(a.Shape(), t.Shape()) {
			panic(fmt.Sprintf("kernels: %s: shape mismatch %s vs %s", op, a, t))
		}
	}
}

// MustNotNil panics when any tensor is nil; names lists the required ones.
func MustNotNil[T TensorRef](op, names string, ts ...T) {
	for _, t := range ts {
		if isNil(t) {
			panic(fmt.Sprintf("kernels: %s: nil tensor among %s", op, names))
		}
	}
}

// CheckShape panics when shape has a negative dimension.
func CheckShape(op string, shape []int) {
	for _, s := range shape {
		if s < 0 {
			panic(fmt.Sprintf("kernels: %s: negative dimension in shape %v", op, shape))
		}
	}
}

// ShapeNumel returns the number of elements of a tensor of the given shape.
func ShapeNumel(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

// BatchRows splits a [B, T, C] tensor's shape (a 2-d one is B = 1).
func BatchRows(t Tensor) (B, T, C int) {
	sh := t.Shape()
	switch len(sh) {
	case 2:
		return 1, sh[0], sh[1]
	case 3:
		return sh[0], sh[1], sh[2]
	}
	panic(fmt.Sprintf("kernels: %s is not [B, T, C] or [T, C]", t))
}

// CheckTargets panics unless there is one target per row and none is >= c
// classes; negative targets are allowed (they mean "ignore this row").
func CheckTargets(op string, n, c int, targets []int32) {
	if len(targets) != n {
		panic(fmt.Sprintf("kernels: %s: %d targets for %d rows", op, len(targets), n))
	}
	for i, t := range targets {
		if int(t) >= c {
			panic(fmt.Sprintf("kernels: %s: targets[%d] = %d outside the %d classes", op, i, t, c))
		}
	}
}

// checkEmbeddingRows applies the Embedding and EmbeddingBackward rules to n
// output rows of width c: one id per row, each inside table's rows, and
// (when pos is non-nil) T and posStart fitting pos's rows.
func checkEmbeddingRows[P TensorRef](op string, n, c int, table, pos P, ids []int32, T, posStart int) {
	if len(ids) != n {
		panic(fmt.Sprintf("kernels: %s: %d ids for %d output rows", op, len(ids), n))
	}
	vocab, tc := Rows(table)
	if tc != c {
		panic(fmt.Sprintf("kernels: %s: table %s rows are not %d wide", op, table, c))
	}
	for i, id := range ids {
		if id < 0 || int(id) >= vocab {
			panic(fmt.Sprintf("kernels: %s: ids[%d] = %d outside the table's %d rows", op, i, id, vocab))
		}
	}
	if isNil(pos) {
		return
	}
	if T <= 0 || n%T != 0 || posStart < 0 {
		panic(fmt.Sprintf("kernels: %s: T = %d, posStart = %d do not fit %d rows", op, T, posStart, n))
	}
	pn, pc := Rows(pos)
	if pc != c || posStart+min(T, n) > pn {
		panic(fmt.Sprintf("kernels: %s: positions %s too small for %d wide rows at positions [%d, %d)", op, pos, c, posStart, posStart+T))
	}
}

// CheckRows applies a row norm's rules: out has x's shape, w and bias hold
// one element per column, mean and rstd are F32 with one element per row.
// It returns x's rows and columns. Optional tensors may be nil.
func CheckRows[T TensorRef](op string, x, out, w, bias, mean, rstd T) (n, c int) {
	MustSameShape(op, x, out)
	n, c = Rows(x)
	MustNumel(op, c, w, bias)
	MustF32(op, "mean", mean)
	MustF32(op, "rstd", rstd)
	MustNumel(op, n, mean, rstd)
	return n, c
}

// CheckRoPE panics unless x is a float tensor and p fits x [B, T, H*hd] (a
// 2-d x is [T, H*hd]); it returns x's rows n, width c and sequence length T.
func CheckRoPE(op string, x Tensor, p RoPEParams) (n, c, T int) {
	if !x.DType().IsFloat() {
		panic(fmt.Sprintf("kernels: %s: %s must be a float type", op, x))
	}
	n, c = Rows(x)
	if p.Style > RoPEHalf || p.HeadDim <= 0 || p.HeadDim%2 != 0 || p.NHeads <= 0 || c != p.NHeads*p.HeadDim || p.PosStart < 0 {
		panic(fmt.Sprintf("kernels: %s: %s does not fit %+v (head dim must be even)", op, x, p))
	}
	if p.FreqFactors != nil {
		if len(p.FreqFactors) != p.HeadDim/2 {
			panic(fmt.Sprintf("kernels: %s: %d frequency factors for head dim %d (want %d)", op, len(p.FreqFactors), p.HeadDim, p.HeadDim/2))
		}
		for i, f := range p.FreqFactors {
			if !(f > 0) || math.IsInf(float64(f), 0) {
				panic(fmt.Sprintf("kernels: %s: frequency factor %d is %g (want finite > 0)", op, i, f))
			}
		}
	}
	T = n
	if sh := x.Shape(); len(sh) >= 3 {
		T = sh[len(sh)-2]
	}
	return n, c, T
}

// MatMulShape is a MatMul call resolved to Batch independent products
// out_i (M x N) = op(a_i) (M x K) op(b_i) (K x N), with b shared when it is
// 2-d, and a shared when it is 2-d and b 3-d.
type MatMulShape struct {
	Batch, M, N, K int
	BShared        bool
	AShared        bool
}

// MatMulDims applies the Backend.MatMul shape rules to non-nil out, a and b.
// A 2-d b without transA flattens a's leading dimensions into M; a 3-d b
// needs a 3-d a with the same batch, or a 2-d a shared by every batch
// entry; a block-typed b needs transB.
func MatMulDims(out, a, b Tensor, transA, transB bool) MatMulShape {
	bad := func(why string) {
		panic(fmt.Sprintf("kernels: MatMul(transA=%v, transB=%v): out %s, a %s, b %s: %s", transA, transB, out, a, b, why))
	}
	as, bs := a.Shape(), b.Shape()
	var s MatMulShape
	var bRows, bCols int
	switch len(bs) {
	case 2:
		s.BShared = true
		bRows, bCols = bs[0], bs[1]
	case 3:
		bRows, bCols = bs[1], bs[2]
	default:
		bad("b must be 2-d or 3-d")
	}
	kb := bRows
	s.N = bCols
	if transB {
		s.N, kb = bRows, bCols
	}
	switch {
	case s.BShared && !transA: // leading dimensions of a flatten into M
		if len(as) == 0 {
			bad("a is a scalar")
		}
		s.Batch, s.K, s.M = 1, as[len(as)-1], ShapeNumel(as[:len(as)-1])
	case len(as) == 2:
		s.Batch, s.M, s.K = 1, as[0], as[1]
	case len(as) == 3:
		s.Batch, s.M, s.K = as[0], as[1], as[2]
	default:
		bad("a must be 2-d or 3-d")
	}
	if transA {
		s.M, s.K = s.K, s.M
	}
	if !s.BShared && len(as) == 2 {
		s.AShared, s.Batch = true, bs[0]
	}
	if !s.BShared && (len(as) == 3 && bs[0] != s.Batch) {
		bad("batched b needs a 3-d a with the same batch, or a 2-d a")
	}
	if s.K != kb {
		bad("inner dimensions differ")
	}
	os := out.Shape()
	if Numel(out) != s.Batch*s.M*s.N || (len(os) > 0 && os[len(os)-1] != s.N) {
		bad(fmt.Sprintf("out must hold %d x [%d, %d]", s.Batch, s.M, s.N))
	}
	if b.DType().IsQuantized() && !transB {
		bad("block-typed b needs transB (weight layout [N, K])")
	}
	return s
}

// ViewShape applies the Backend.View rules to rows [start, end) of t and
// returns the view's shape (shape when given, else t's with end-start rows)
// and inner, the shape of one of t's rows.
func ViewShape(t Tensor, start, end int, shape []int) (newShape, inner []int) {
	ts := t.Shape()
	if len(ts) == 0 {
		panic(fmt.Sprintf("kernels: View of a scalar tensor %s", t))
	}
	if start < 0 || end < start || end > ts[0] {
		panic(fmt.Sprintf("kernels: View: rows [%d, %d) out of range for %s", start, end, t))
	}
	inner = ts[1:]
	newShape = append([]int{end - start}, inner...)
	if len(shape) > 0 {
		CheckShape("View", shape)
		if ShapeNumel(shape) != ShapeNumel(newShape) {
			panic(fmt.Sprintf("kernels: View: shape %v does not hold the %d elements of rows [%d, %d) of %s", shape, ShapeNumel(newShape), start, end, t))
		}
		newShape = append([]int(nil), shape...)
	}
	return newShape, inner
}

// ViewBytes returns the byte range [lo, hi) of rows [start, end) of t in
// its storage, for the view shape and row shape ViewShape returned. A 1-d
// block-typed t counts elements, so start and end must fall on block
// boundaries; the view shape must fit the dtype's block layout.
func ViewBytes(t Tensor, start, end int, newShape, inner []int) (lo, hi int) {
	dt := t.DType()
	var err error
	if len(inner) == 0 {
		if lo, err = dt.RowBytes(start); err == nil {
			hi, err = dt.RowBytes(end)
		}
	} else {
		var rb int
		rb, err = dt.Bytes(inner)
		lo, hi = start*rb, end*rb
	}
	if err != nil {
		panic(fmt.Sprintf("kernels: View of %s: %v", t, err))
	}
	if nb, err := dt.Bytes(newShape); err != nil || nb != hi-lo {
		panic(fmt.Sprintf("kernels: View: shape %v does not fit the %s block layout of %s", newShape, dt, t))
	}
	return lo, hi
}
