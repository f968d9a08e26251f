package cpu

import (
	"fmt"
	"sync"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/half"
	"github.com/distill-dev/distill/kernels/qblock"
)

// Element access for the row-wise ops. Every op computes in float32: view
// and load widen a range of elements of a plain-typed tensor, out hands back
// a writable float32 range and store rounds it into the tensor. For F32
// tensors view and out return the storage itself, so the common case copies
// nothing.

// view returns elements [off, off+n) of t as float32, either t's own storage
// (F32, read-only by convention) or widened into buf.
func view(t *tensor, off, n int, buf []float32) []float32 {
	if t.dt == kernels.F32 {
		return t.f32[off : off+n : off+n]
	}
	buf = buf[:n]
	load(t, off, buf)
	return buf
}

// load widens elements [off, off+len(dst)) of t into dst.
func load(t *tensor, off int, dst []float32) {
	n := len(dst)
	switch t.dt {
	case kernels.F32:
		copy(dst, t.f32[off:off+n])
	case kernels.F16:
		half.F16ToF32(dst, t.u16[off:off+n])
	case kernels.BF16:
		half.BF16ToF32(dst, t.u16[off:off+n])
	case kernels.I32:
		for i, v := range t.i32[off : off+n] {
			dst[i] = float32(v)
		}
	default:
		panic(fmt.Sprintf("kernels: element access to block-typed tensor %s", t))
	}
}

// out returns a writable float32 range for elements [off, off+n) of t: t's
// storage for F32, else buf (to be written back with store).
func out(t *tensor, off, n int, buf []float32) []float32 {
	if t.dt == kernels.F32 {
		return t.f32[off : off+n : off+n]
	}
	return buf[:n]
}

// inout is view for ops that update the range in place or accumulate into
// it: the F32 storage itself, or t's current values widened into buf (to be
// written back with store).
func inout(t *tensor, off, n int, buf []float32) []float32 { return view(t, off, n, buf) }

// store rounds src into elements [off, off+len(src)) of t. For F32 it copies
// unless src already is that storage (as returned by out).
func store(t *tensor, off int, src []float32) {
	n := len(src)
	switch t.dt {
	case kernels.F32:
		if n > 0 && &t.f32[off] != &src[0] {
			copy(t.f32[off:off+n], src)
		}
	case kernels.F16:
		half.F32ToF16(t.u16[off:off+n], src)
	case kernels.BF16:
		half.F32ToBF16(t.u16[off:off+n], src)
	default:
		if t.dt.IsQuantized() {
			_, c := t.rows()
			if off%c != 0 || n%c != 0 {
				panic(fmt.Sprintf("kernels: partial-row store into block-typed tensor %s", t))
			}
			rb, _ := t.dt.RowBytes(c)
			t.written()
			for r := 0; r < n/c; r++ {
				row := off/c + r
				qblock.EncodeRow(t.dt, t.raw[row*rb:(row+1)*rb], src[r*c:(r+1)*c])
			}
			return
		}
		panic(fmt.Sprintf("kernels: float store into %s tensor %s", t.dt, t))
	}
}

// accumulate adds src into elements [off, off+len(src)) of t, using buf as
// scratch for half-precision t.
func accumulate(t *tensor, off int, src, buf []float32) {
	v := inout(t, off, len(src), buf)
	for i, s := range src {
		v[i] += s
	}
	store(t, off, v)
}

// decodeRow widens row r (of length c = last dimension) of a tensor of any
// dtype into dst.
func decodeRow(t *tensor, r int, dst []float32) {
	c := len(dst)
	if !t.dt.IsQuantized() {
		load(t, r*c, dst)
		return
	}
	rb, err := t.dt.RowBytes(c)
	if err != nil {
		panic(fmt.Sprintf("kernels: %s: %v", t, err))
	}
	qblock.DecodeRow(t.dt, dst, t.raw[r*rb:(r+1)*rb])
}

// rowView returns row r of t (row length c) as float32: t's own storage for
// F32, else decoded into buf.
func rowView(t *tensor, r, c int, buf []float32) []float32 {
	if t.dt == kernels.F32 {
		return t.f32[r*c : (r+1)*c : (r+1)*c]
	}
	buf = buf[:c]
	decodeRow(t, r, buf)
	return buf
}

// scratchPool recycles float32 buffers so that steady-state forward and
// backward passes do not allocate per op.
var scratchPool sync.Pool

// getScratch returns a pooled buffer of length n (contents undefined).
func getScratch(n int) *[]float32 {
	p, _ := scratchPool.Get().(*[]float32)
	if p == nil {
		p = new([]float32)
	}
	if cap(*p) < n {
		*p = make([]float32, n)
	}
	*p = (*p)[:n]
	return p
}

func putScratch(p *[]float32) { scratchPool.Put(p) }

// ---- argument checks ----

// Every method's argument rules are kernels' per-operation checks
// (kernels/check_ops.go, check_train.go), shared with the other backends;
// these are the building blocks the remaining few use, instantiated for
// this backend's tensor type.
var (
	mustFloat  = kernels.MustFloat[*tensor]
	checkShape = kernels.CheckShape
	shapeNumel = kernels.ShapeNumel
)
