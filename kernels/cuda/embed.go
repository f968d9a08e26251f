//go:build cuda

package cuda

import (
	"slices"
	"unsafe"

	"github.com/distill-dev/distill/kernels"
)

// int32s uploads v as an I32 tensor (the caller frees it).
func (b *Backend) int32s(op string, v []int32) *tensor {
	t := b.newTensor(op, kernels.I32, []int{len(v)})
	if len(v) > 0 {
		b.upload(t.ptr(), unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 4*len(v)))
	}
	return t
}

// Embedding writes out[i, :] = table[ids[i], :] (+ pos[posStart + i%T, :]).
func (b *Backend) Embedding(outT, tableT, posT kernels.Tensor, ids []int32, T, posStart int) {
	o, table, pos := tns(outT), tns(tableT), tns(posT)
	n, c := kernels.CheckEmbedding(o, table, pos, ids, T, posStart)
	if pos == nil {
		T, posStart = 1, 0
	}
	table, pos = b.dense(table), b.dense(pos)
	idt := b.int32s("Embedding", ids)
	defer b.Free(idt)
	b.launch("k_embedding", [3]int{n, 1, 1}, normThreads(c), 0, aPtr(o), aDT(o), aPtr(table), aDT(table),
		aPtr(pos), dtOr0(pos), aPtr(idt), aInt(c), aInt(T), aInt(posStart))
}

// EmbeddingBackward accumulates dtable[ids[i], :] += dout[i, :] and
// dpos[posStart + i%T, :] += dout[i, :]. Rows are grouped by destination on
// the host, so each destination row is written by one block.
func (b *Backend) EmbeddingBackward(dtableT, dposT, doutT kernels.Tensor, ids []int32, T, posStart int) {
	dt, dp, do := tns(dtableT), tns(dposT), tns(doutT)
	n, c := kernels.CheckEmbeddingBackward(dt, dp, do, ids, T, posStart)
	b.gatherAdd(dt, do, ids, c)
	if dp != nil {
		keys := make([]int32, n)
		for i := range keys {
			keys[i] = int32(posStart + i%T)
		}
		b.gatherAdd(dp, do, keys, c)
	}
}

// gatherAdd does dst[keys[i], :] += src[i, :] for every i.
func (b *Backend) gatherAdd(dst, src *tensor, keys []int32, c int) {
	if len(keys) == 0 {
		return
	}
	rows := make([]int32, len(keys))
	for i := range rows {
		rows[i] = int32(i)
	}
	slices.SortStableFunc(rows, func(x, y int32) int { return int(keys[x]) - int(keys[y]) })
	var uniq, off []int32
	for j, r := range rows {
		if j == 0 || keys[r] != keys[rows[j-1]] {
			uniq = append(uniq, keys[r])
			off = append(off, int32(j))
		}
	}
	off = append(off, int32(len(rows)))
	kt, ot, rt := b.int32s("EmbeddingBackward", uniq), b.int32s("EmbeddingBackward", off), b.int32s("EmbeddingBackward", rows)
	defer func() { b.Free(kt); b.Free(ot); b.Free(rt) }()
	b.launch("k_gather_add", [3]int{len(uniq), 1, 1}, normThreads(c), 0, aPtr(dst), aDT(dst), aPtr(src), aDT(src),
		aPtr(kt), aPtr(ot), aPtr(rt), aInt(c))
}

// LogSoftmax writes out[n, :] = x[n, :] - logsumexp(x[n, :]).
func (b *Backend) LogSoftmax(outT, xT kernels.Tensor) {
	o, x := tns(outT), tns(xT)
	n, c := kernels.CheckElementwise("LogSoftmax", x, o)
	b.launch("k_log_softmax", [3]int{n, 1, 1}, normThreads(c), 0, aPtr(o), aDT(o), aPtr(x), aDT(x), aInt(c))
}

// CrossEntropy writes losses[n] = -log softmax(logits[n])[targets[n]].
func (b *Backend) CrossEntropy(lossesT, logitsT kernels.Tensor, targets []int32) {
	l, x := tns(lossesT), tns(logitsT)
	n, c := kernels.CheckCrossEntropy(l, x, targets)
	tt := b.int32s("CrossEntropy", targets)
	defer b.Free(tt)
	b.launch("k_cross_entropy", [3]int{n, 1, 1}, normThreads(c), 0, aPtr(l), aPtr(x), aDT(x), aPtr(tt), aInt(c))
}

// CrossEntropyBackward accumulates dlogits += scale (softmax - onehot).
func (b *Backend) CrossEntropyBackward(dlogitsT, logitsT kernels.Tensor, targets []int32, scale float32) {
	dl, x := tns(dlogitsT), tns(logitsT)
	n, c := kernels.CheckCrossEntropyBackward(dl, x, targets)
	tt := b.int32s("CrossEntropyBackward", targets)
	defer b.Free(tt)
	b.launch("k_cross_entropy_bwd", [3]int{n, 1, 1}, normThreads(c), 0, aPtr(dl), aDT(dl), aPtr(x), aDT(x),
		aPtr(tt), aInt(c), aF32(scale))
}
