package cpu

import (
	"fmt"

	"github.com/distill-dev/distill/kernels"
)

// Embedding writes out[i, :] = table[ids[i], :] (+ pos[posStart + i%T, :]).
func (b *Backend) Embedding(outT, tableT, posT kernels.Tensor, ids []int32, T, posStart int) {
	o, table, pos := tns(outT), tns(tableT), tns(posT)
	n, c := kernels.CheckEmbedding(o, table, pos, ids, T, posStart)
	b.parallelFor(n, rowGrain(c), func(lo, hi int) {
		sp := getScratch(3 * c)
		for i := lo; i < hi; i++ {
			ov := out(o, i*c, c, (*sp)[:c])
			decodeRow(table, int(ids[i]), ov)
			if pos != nil {
				pv := rowView(pos, posStart+i%T, c, (*sp)[c:2*c])
				for j := range ov {
					ov[j] += pv[j]
				}
			}
			store(o, i*c, ov)
		}
		putScratch(sp)
	})
}

// EmbeddingBackward accumulates dtable[ids[i], :] += dout[i, :] and
// dpos[posStart + i%T, :] += dout[i, :].
func (b *Backend) EmbeddingBackward(dtableT, dposT, doutT kernels.Tensor, ids []int32, T, posStart int) {
	dt, dp, do := tns(dtableT), tns(dposT), tns(doutT)
	n, c := kernels.CheckEmbeddingBackward(dt, dp, do, ids, T, posStart)
	// Repeated ids make rows collide, so workers split columns, not rows.
	b.parallelFor(c, 64, func(lo, hi int) {
		w := hi - lo
		sp := getScratch(2 * w)
		acc, tmp := (*sp)[:w], (*sp)[w:]
		for i := 0; i < n; i++ {
			d := view(do, i*c+lo, w, tmp)
			accumulate(dt, int(ids[i])*c+lo, d, acc)
			if dp != nil {
				accumulate(dp, (posStart+i%T)*c+lo, d, acc)
			}
		}
		putScratch(sp)
	})
}

// CopyRows writes src [B, T, C] into dst [B, S, C] at rows [pos, pos+T) of
// each batch entry. A 2-d src/dst is one batch entry.
func (b *Backend) CopyRows(dstT, srcT kernels.Tensor, pos int) {
	dst, src := tns(dstT), tns(srcT)
	bs, T, S, c := kernels.CheckCopyRows(dst, src, pos)
	same := src.dt == dst.dt
	if same && !src.dt.IsQuantized() {
		es := len(src.bytes()) / max(1, src.numel())
		sb, db := src.bytes(), dst.bytes()
		for bi := 0; bi < bs; bi++ {
			copy(db[((bi*S)+pos)*c*es:((bi*S)+pos+T)*c*es], sb[bi*T*c*es:(bi+1)*T*c*es])
		}
		return
	}
	if same { // block types: whole rows of bytes
		rb, _ := src.dt.RowBytes(c)
		for bi := 0; bi < bs; bi++ {
			copy(dst.raw[((bi*S)+pos)*rb:((bi*S)+pos+T)*rb], src.raw[bi*T*rb:(bi+1)*T*rb])
		}
		dst.written()
		return
	}
	b.parallelFor(bs*T, rowGrain(c), func(lo, hi int) {
		sp := getScratch(c)
		for r := lo; r < hi; r++ {
			bi, t := r/T, r%T
			v := out(dst, ((bi*S)+pos+t)*c, c, *sp)
			load(src, r*c, v)
			store(dst, ((bi*S)+pos+t)*c, v)
		}
		putScratch(sp)
	})
}

// SliceRows writes rows [pos, pos+T) of each batch entry of src [B, S, C]
// into dst [B, T, C]. A 2-d src/dst is one batch entry.
func (b *Backend) SliceRows(dstT, srcT kernels.Tensor, pos int) {
	dst, src := tns(dstT), tns(srcT)
	bs, T, S, c := kernels.CheckSliceRows(dst, src, pos)
	if src.dt == dst.dt { // any dtype: whole rows of bytes
		rb, err := src.dt.RowBytes(c)
		if err != nil {
			panic(fmt.Sprintf("kernels: SliceRows: %v", err))
		}
		sb, db := src.bytes(), dst.bytes()
		for bi := 0; bi < bs; bi++ {
			copy(db[bi*T*rb:(bi+1)*T*rb], sb[(bi*S+pos)*rb:(bi*S+pos+T)*rb])
		}
		dst.written()
		return
	}
	b.parallelFor(bs*T, rowGrain(c), func(lo, hi int) {
		sp := getScratch(c)
		for r := lo; r < hi; r++ {
			bi, t := r/T, r%T
			v := out(dst, r*c, c, *sp)
			load(src, ((bi*S)+pos+t)*c, v)
			store(dst, r*c, v)
		}
		putScratch(sp)
	})
}
