//go:build cuda

package cuda

import (
	"fmt"
	"runtime"

	"github.com/distill-dev/distill/kernels"
)

// storage is one allocator block. Views share it; it goes back to the
// allocator on Free of its owning tensor or when the garbage collector
// finds it unreachable.
type storage struct {
	a     *allocator
	p     devPtr
	class int
	freed bool
}

func (s *storage) release() {
	if !s.freed {
		s.freed = true
		s.a.put(s.p, s.class)
	}
}

// tensor is the CUDA backend's kernels.Tensor: nbytes of st at byte offset
// off.
type tensor struct {
	dt     kernels.DType
	shape  []int
	st     *storage
	off    int
	nbytes int
	view   bool
	dense  *tensor // float32 copy of a block-typed tensor, made on first use
}

func (t *tensor) DType() kernels.DType { return t.dt }
func (t *tensor) Shape() []int         { return t.shape }
func (t *tensor) String() string       { return fmt.Sprintf("cuda.tensor(%s%v)", t.dt, t.shape) }
func (t *tensor) ptr() devPtr          { return t.st.p + devPtr(t.off) }
func (t *tensor) numel() int           { return kernels.Numel(t) }
func (t *tensor) rows() (n, c int)     { return kernels.Rows(t) }

// tns converts a kernels.Tensor to the CUDA tensor, panicking on foreign or
// freed tensors. A nil interface gives nil.
func tns(x kernels.Tensor) *tensor {
	if x == nil {
		return nil
	}
	t, ok := x.(*tensor)
	if !ok {
		panic(fmt.Sprintf("kernels: tensor of type %T was not created by the cuda backend", x))
	}
	if t == nil {
		return nil
	}
	if t.st.freed {
		panic("kernels: use of a freed tensor " + t.String())
	}
	if t.st.a.closed {
		panic("kernels: use of tensor " + t.String() + " after its cuda backend was closed")
	}
	return t
}

// newTensor allocates an uninitialised tensor.
func (b *Backend) newTensor(op string, dt kernels.DType, shape []int) *tensor {
	kernels.CheckShape(op, shape)
	nb, err := dt.Bytes(shape)
	if err != nil {
		panic(fmt.Sprintf("kernels: %s: %v", op, err))
	}
	p, class, err := b.alloc.get(nb)
	b.must(op, err)
	st := &storage{a: b.alloc, p: p, class: class}
	runtime.SetFinalizer(st, (*storage).release)
	return &tensor{dt: dt, shape: append([]int(nil), shape...), st: st, nbytes: nb}
}

// Zeros allocates a zero-filled tensor.
func (b *Backend) Zeros(dt kernels.DType, shape ...int) kernels.Tensor {
	t := b.newTensor("Zeros", dt, shape)
	if t.nbytes > 0 {
		b.must("Zeros", b.drv.memset0(t.ptr(), t.nbytes))
	}
	return t
}

// FromFloat32 rounds (or quantizes) data on the host, exactly as the CPU
// backend does, and uploads it.
func (b *Backend) FromFloat32(dt kernels.DType, data []float32, shape ...int) kernels.Tensor {
	h := b.host.FromFloat32(dt, data, shape...)
	raw := b.host.ReadBytes(h)
	return b.FromBytes(dt, raw, shape...)
}

// FromBytes uploads data (it is not referenced afterwards).
func (b *Backend) FromBytes(dt kernels.DType, data []byte, shape ...int) kernels.Tensor {
	kernels.CheckFromBytes(dt, data, shape)
	t := b.newTensor("FromBytes", dt, shape)
	b.upload(t.ptr(), data)
	return t
}

// ToFloat32 downloads t and widens (or dequantizes) it on the host.
func (b *Backend) ToFloat32(x kernels.Tensor, dst []float32) []float32 {
	t := tns(x)
	h := b.host.FromBytes(t.dt, b.ReadBytes(t), t.shape...)
	return b.host.ToFloat32(h, dst)
}

// ReadBytes returns a copy of t's raw storage.
func (b *Backend) ReadBytes(x kernels.Tensor) []byte {
	t := tns(x)
	out := make([]byte, t.nbytes)
	b.download(out, t.ptr())
	return out
}

// View returns rows [start, end) of t's first dimension, sharing storage.
func (b *Backend) View(x kernels.Tensor, start, end int, shape ...int) kernels.Tensor {
	t := tns(x)
	newShape, inner := kernels.ViewShape(t, start, end, shape)
	lo, hi := kernels.ViewBytes(t, start, end, newShape, inner)
	return &tensor{dt: t.dt, shape: newShape, st: t.st, off: t.off + lo, nbytes: hi - lo, view: true}
}

// Reshape returns a tensor sharing t's storage with a new shape.
func (b *Backend) Reshape(x kernels.Tensor, shape ...int) kernels.Tensor {
	t := tns(x)
	kernels.CheckReshape(t, shape)
	v := *t
	v.shape = append([]int(nil), shape...)
	v.view, v.dense = true, nil
	return &v
}

// Free returns the storage of an owning tensor (made by Zeros, FromFloat32
// or FromBytes) to the allocator at once. Free of a view (View, Reshape) is
// a no-op: the storage lives until its owner is freed or collected.
func (b *Backend) Free(x kernels.Tensor) {
	t := tns(x)
	if t == nil || t.view {
		return
	}
	if t.dense != nil {
		b.Free(t.dense)
		t.dense = nil
	}
	runtime.SetFinalizer(t.st, nil)
	t.st.release()
}

// Copy copies src into dst (same element count), converting dtypes.
func (b *Backend) Copy(dstT, srcT kernels.Tensor) {
	dst, src := tns(dstT), tns(srcT)
	kernels.CheckCopy(dst, src)
	if dst.dt == src.dt {
		if dst.nbytes > 0 {
			b.must("Copy", b.drv.dtod(dst.ptr(), src.ptr(), dst.nbytes))
		}
		return
	}
	if !dst.dt.IsFloat() || !src.dt.IsFloat() {
		// Block types and I32 (rare: export paths): convert on the host with
		// the CPU backend's rules (and its panics for impossible pairs).
		hd := b.host.Zeros(dst.dt, dst.shape...)
		b.host.Copy(hd, b.toHost(src))
		b.fromHost(dst, hd)
		return
	}
	b.launch1("k_cast", dst.numel(), aPtr(dst), aDT(dst), aPtr(src), aDT(src), aLL(dst.numel()))
}

// Fill sets every element of a float tensor to v.
func (b *Backend) Fill(x kernels.Tensor, v float32) {
	t := tns(x)
	kernels.MustFloat("Fill", t)
	b.launch1("k_fill", t.numel(), aPtr(t), aDT(t), aLL(t.numel()), aF32(v))
}

// dense returns t itself for float tensors, and for block types a float32
// copy dequantized on the host once and cached with the tensor.
func (b *Backend) dense(t *tensor) *tensor {
	if t == nil || t.dt.IsFloat() {
		return t
	}
	if t.dense == nil {
		t.dense = tns(b.FromFloat32(kernels.F32, b.ToFloat32(t, nil), t.shape...))
	}
	return t.dense
}
