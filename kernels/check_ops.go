package kernels

import "fmt"

// Per-operation argument checks: one function per Backend method that has
// more than one rule, called by every backend, so that the rules (and the
// panic messages) cannot drift between cpu/ and cuda/. Each returns the
// sizes the operation needs. Backend-specific limits (a GPU kernel's head
// dimension, say) stay in the backend, after these.

// CheckAdd checks out = a + b: float tensors of one element count, which it
// returns.
func CheckAdd[T TensorRef](out, a, b T) int {
	MustFloat("Add", out, a, b)
	n := Numel(out)
	MustNumel("Add", n, a, b)
	return n
}

// CheckAddBias checks x [N, C] += bias [C] and returns C.
func CheckAddBias[T TensorRef](x, bias T) int {
	MustFloat("AddBias", x, bias)
	_, c := Rows(x)
	MustNumel("AddBias", c, bias)
	return c
}

// CheckBiasBackward checks dbias [C] += column sums of dout [N, C] and
// returns N and C.
func CheckBiasBackward[T TensorRef](dbias, dout T) (n, c int) {
	MustFloat("BiasBackward", dbias, dout)
	n, c = Rows(dout)
	MustNumel("BiasBackward", c, dbias)
	return n, c
}

// CheckElementwise checks an op whose float tensors all have ts[0]'s shape
// (Cast, SwiGLU, GELU, LogSoftmax and their backwards; op names it) and
// returns ts[0]'s rows and columns.
func CheckElementwise[T TensorRef](op string, ts ...T) (n, c int) {
	MustFloat(op, ts...)
	MustSameShape(op, ts[0], ts[1:]...)
	return Rows(ts[0])
}

// CheckCrossEntropy checks losses [N] (F32) = CE(logits [N, C], targets)
// and returns N and C.
func CheckCrossEntropy[T TensorRef](losses, logits T, targets []int32) (n, c int) {
	const op = "CrossEntropy"
	MustFloat(op, logits)
	MustF32(op, "losses", losses)
	n, c = Rows(logits)
	MustNumel(op, n, losses)
	CheckTargets(op, n, c, targets)
	return n, c
}

// CheckCrossEntropyBackward checks dlogits += grad CE(logits, targets) and
// returns N and C.
func CheckCrossEntropyBackward[T TensorRef](dlogits, logits T, targets []int32) (n, c int) {
	n, c = CheckElementwise("CrossEntropyBackward", logits, dlogits)
	CheckTargets("CrossEntropyBackward", n, c, targets)
	return n, c
}

// CheckRMSNorm checks out = RMSNorm(x) * w with rstd [N] (F32, optional)
// and returns x's rows and columns.
func CheckRMSNorm[T TensorRef](out, rstd, x, w T) (n, c int) {
	const op = "RMSNorm"
	MustNotNil(op, "out, x, w", out, x, w)
	MustFloat(op, out, x, w)
	MustSameShape(op, x, out)
	n, c = Rows(x)
	MustNumel(op, c, w)
	MustF32(op, "rstd", rstd)
	MustNumel(op, n, rstd)
	return n, c
}

// CheckRMSNormBackward checks the RMSNorm backward's tensors (all required)
// and returns x's rows and columns.
func CheckRMSNormBackward[T TensorRef](dx, dw, dout, x, w, rstd T) (n, c int) {
	const op = "RMSNormBackward"
	MustNotNil(op, "dx, dw, dout, x, w, rstd", dx, dw, dout, x, w, rstd)
	MustFloat(op, dx, dw, dout, x, w)
	MustSameShape(op, x, dx, dout)
	n, c = Rows(x)
	MustNumel(op, c, w, dw)
	MustF32(op, "rstd", rstd)
	MustNumel(op, n, rstd)
	return n, c
}

// CheckLayerNorm checks out = LayerNorm(x) * w + bias (bias, mean and rstd
// optional) and returns x's rows and columns.
func CheckLayerNorm[T TensorRef](out, mean, rstd, x, w, bias T) (n, c int) {
	MustNotNil("LayerNorm", "out, x, w", out, x, w)
	MustFloat("LayerNorm", out, x, w, bias)
	return CheckRows("LayerNorm", x, out, w, bias, mean, rstd)
}

// CheckLayerNormBackward checks the LayerNorm backward's tensors (db
// optional) and returns x's rows and columns.
func CheckLayerNormBackward[T TensorRef](dx, dw, db, dout, x, w, mean, rstd T) (n, c int) {
	const op = "LayerNormBackward"
	MustNotNil(op, "dx, dw, dout, x, w, mean, rstd", dx, dw, dout, x, w, mean, rstd)
	MustFloat(op, dx, dw, db, dout, x, w)
	MustSameShape(op, x, dx, dout)
	n, c = Rows(x)
	MustNumel(op, c, w, dw, db)
	MustF32(op, "mean", mean)
	MustF32(op, "rstd", rstd)
	MustNumel(op, n, mean, rstd)
	return n, c
}

// AttentionDims is an attention call's shape: q and out [B, T, H*HeadDim],
// k and v [B, S, KVH*HeadDim], queries at positions [Pos, Pos+T).
type AttentionDims struct {
	B, T, S, H, KVH, HeadDim, Pos int
	Window                        int // sliding window (AttentionParams.Window), 0 for none
}

// attentionDims applies the rules shared by Attention and its backward.
func attentionDims[T TensorRef](op string, out, q, k, v T, p AttentionParams) AttentionDims {
	MustNotNil(op, "out, q, k, v", out, q, k, v)
	MustFloat(op, out, q, k, v)
	B, Tq, cq := BatchRows(q)
	bk, S, ck := BatchRows(k)
	bv, Sv, cv := BatchRows(v)
	d := AttentionDims{B: B, T: Tq, S: S, H: p.NHeads, KVH: p.NKVHeads, HeadDim: p.HeadDim, Pos: p.PosStart, Window: p.Window}
	if d.H <= 0 || d.KVH <= 0 || d.H%d.KVH != 0 || d.HeadDim <= 0 || d.Pos < 0 || d.Window < 0 {
		panic(fmt.Sprintf("kernels: %s: bad params %+v", op, p))
	}
	if cq != d.H*d.HeadDim || ck != d.KVH*d.HeadDim || cv != ck || bk != B || bv != B || Sv != S || S < d.Pos+Tq {
		panic(fmt.Sprintf("kernels: %s: q %s, k %s, v %s do not fit %+v", op, q, k, v, p))
	}
	MustSameShape(op, q, out)
	return d
}

// CheckAttention checks Attention's tensors (lse [B, H, T] F32, optional).
func CheckAttention[T TensorRef](out, lse, q, k, v T, p AttentionParams) AttentionDims {
	d := attentionDims("Attention", out, q, k, v, p)
	MustF32("Attention", "lse", lse)
	MustNumel("Attention", d.B*d.H*d.T, lse)
	return d
}

// CheckAttentionBackward checks AttentionBackward's tensors (all required;
// PosStart 0).
func CheckAttentionBackward[T TensorRef](dq, dk, dv, dout, q, k, v, out, lse T, p AttentionParams) AttentionDims {
	const op = "AttentionBackward"
	MustNotNil(op, "dq, dk, dv, dout, q, k, v, out, lse", dq, dk, dv, dout, q, k, v, out, lse)
	d := attentionDims(op, out, q, k, v, p)
	if d.Pos != 0 {
		panic(fmt.Sprintf("kernels: %s: PosStart %d, must be 0", op, d.Pos))
	}
	MustFloat(op, dq, dk, dv, dout)
	MustSameShape(op, q, dq, dout)
	MustSameShape(op, k, dk, dv)
	MustF32(op, "lse", lse)
	MustNumel(op, d.B*d.H*d.T, lse)
	return d
}

// CheckCopyRows checks src [B, T, C] into dst [B, S, C] at row pos (any
// dtype when they are equal, else float) and returns B, T, S and C.
func CheckCopyRows[T TensorRef](dst, src T, pos int) (B, Tn, S, C int) {
	return checkRowSpan("CopyRows", src, dst, pos)
}

// CheckSliceRows checks rows [pos, pos+T) of src [B, S, C] into dst
// [B, T, C] (CheckCopyRows' rules with the roles swapped) and returns B, T,
// S and C.
func CheckSliceRows[T TensorRef](dst, src T, pos int) (B, Tn, S, C int) {
	return checkRowSpan("SliceRows", dst, src, pos)
}

// checkRowSpan checks that part [B, T, C] matches rows [pos, pos+T) of
// each batch entry of whole [B, S, C], in one dtype or two float ones.
func checkRowSpan[T TensorRef](op string, part, whole T, pos int) (B, Tn, S, C int) {
	B, Tn, C = BatchRows(part)
	bw, S, cw := BatchRows(whole)
	if B != bw || C != cw || pos < 0 || pos+Tn > S {
		panic(fmt.Sprintf("kernels: %s: %s does not fit rows %d.. of %s", op, part, pos, whole))
	}
	if part.DType() != whole.DType() {
		MustFloat(op, part, whole)
	}
	return B, Tn, S, C
}

// CheckEmbedding checks Embedding's out [N, C] (float), table [V, C]
// (any dtype), optional pos and ids, and returns N and C.
func CheckEmbedding[T TensorRef](out, table, pos T, ids []int32, Tn, posStart int) (n, c int) {
	MustNotNil("Embedding", "out, table", out, table)
	MustFloat("Embedding", out)
	n, c = Rows(out)
	checkEmbeddingRows("Embedding", n, c, table, pos, ids, Tn, posStart)
	return n, c
}

// CheckEmbeddingBackward checks EmbeddingBackward's float dtable, optional
// dpos, dout [N, C] and ids, and returns N and C.
func CheckEmbeddingBackward[T TensorRef](dtable, dpos, dout T, ids []int32, Tn, posStart int) (n, c int) {
	MustNotNil("EmbeddingBackward", "dtable, dout", dtable, dout)
	MustFloat("EmbeddingBackward", dtable, dpos, dout)
	n, c = Rows(dout)
	checkEmbeddingRows("EmbeddingBackward", n, c, dtable, dpos, ids, Tn, posStart)
	return n, c
}

// CheckFromBytes checks that data holds a tensor of dtype dt and shape.
func CheckFromBytes(dt DType, data []byte, shape []int) {
	CheckShape("FromBytes", shape)
	nb, err := dt.Bytes(shape)
	if err != nil {
		panic(fmt.Sprintf("kernels: FromBytes: %v", err))
	}
	if nb != len(data) {
		panic(fmt.Sprintf("kernels: FromBytes: %d bytes for %s%v (%d bytes)", len(data), dt, shape, nb))
	}
}

// CheckReshape checks that t can be viewed with shape: the same element
// count and, for block types, whole blocks per row.
func CheckReshape(t Tensor, shape []int) {
	CheckShape("Reshape", shape)
	if ShapeNumel(shape) != Numel(t) {
		panic(fmt.Sprintf("kernels: Reshape: %s to shape %v changes the element count", t, shape))
	}
	if t.DType().IsQuantized() {
		want, err1 := t.DType().Bytes(t.Shape())
		nb, err2 := t.DType().Bytes(shape)
		if err1 != nil || err2 != nil || nb != want {
			panic(fmt.Sprintf("kernels: Reshape: shape %v does not fit the %s block layout of %s", shape, t.DType(), t))
		}
	}
}

// CheckMatMul applies the Backend.MatMul rules (see MatMulDims) to out, a
// and b, all required: out and a float, b float or block-typed.
func CheckMatMul[T TensorRef](out, a, b T, transA, transB bool) MatMulShape {
	MustNotNil("MatMul", "out, a, b", out, a, b)
	MustFloat("MatMul", out, a)
	if b.DType() == I32 {
		panic(fmt.Sprintf("kernels: MatMul: b %s is I32", b))
	}
	return MatMulDims(out, a, b, transA, transB)
}

// CheckCopy applies the Backend.Copy rules: one element count; the same
// storage size when the dtypes are equal; no conversion into I32. It
// returns the element count.
func CheckCopy[T TensorRef](dst, src T) int {
	n := Numel(src)
	MustNumel("Copy", n, dst)
	if dst.DType() == src.DType() {
		db, err1 := dst.DType().Bytes(dst.Shape())
		sb, err2 := src.DType().Bytes(src.Shape())
		if err1 != nil || err2 != nil || db != sb {
			panic(fmt.Sprintf("kernels: Copy: %s and %s differ in storage size", dst, src))
		}
	} else if dst.DType() == I32 {
		panic(fmt.Sprintf("kernels: Copy: cannot convert %s to I32", src))
	}
	return n
}
