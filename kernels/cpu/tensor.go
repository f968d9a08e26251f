package cpu

import (
	"fmt"
	"unsafe"

	"github.com/distill-dev/distill/kernels"
)

// tensor is the CPU backend's kernels.Tensor. Exactly one storage slice is
// set, chosen by dt: f32 for F32, u16 for F16 and BF16, i32 for I32, raw for
// the block types. Views share the slice (resliced at their offset).
type tensor struct {
	dt    kernels.DType
	shape []int
	f32   []float32
	u16   []uint16
	i32   []int32
	raw   []byte
	freed bool
	pk    *panelCache // Q8_0, Q4_0, Q4_K, Q5_K, Q6_K: repacked rows (panels.go), shared by views
	pkRow int         // this tensor's first row in pk
}

func (t *tensor) DType() kernels.DType { return t.dt }
func (t *tensor) Shape() []int         { return t.shape }

func (t *tensor) String() string { return fmt.Sprintf("cpu.tensor(%s%v)", t.dt, t.shape) }

// numel is the element count of the tensor's shape.
func (t *tensor) numel() int {
	n := 1
	for _, s := range t.shape {
		n *= s
	}
	return n
}

// rows returns the product of the leading dimensions and the last one.
func (t *tensor) rows() (n, c int) { return kernels.Rows(t) }

// bytes returns the tensor's storage reinterpreted as bytes (no copy).
func (t *tensor) bytes() []byte {
	switch {
	case t.f32 != nil:
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(t.f32))), 4*len(t.f32))
	case t.u16 != nil:
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(t.u16))), 2*len(t.u16))
	case t.i32 != nil:
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(t.i32))), 4*len(t.i32))
	}
	return t.raw
}

// tns converts a kernels.Tensor to the CPU tensor, panicking on foreign or
// freed tensors. A nil interface gives nil.
func tns(x kernels.Tensor) *tensor {
	if x == nil {
		return nil
	}
	t, ok := x.(*tensor)
	if !ok {
		panic(fmt.Sprintf("kernels: tensor of type %T was not created by the cpu backend", x))
	}
	if t == nil {
		return nil
	}
	if t.freed {
		panic("kernels: use of a freed tensor " + t.String())
	}
	return t
}

// Zeros allocates a zero-filled tensor.
func (b *Backend) Zeros(dt kernels.DType, shape ...int) kernels.Tensor {
	checkShape("Zeros", shape)
	t := &tensor{dt: dt, shape: append([]int(nil), shape...)}
	n := shapeNumel(shape)
	switch dt {
	case kernels.F32:
		t.f32 = make([]float32, n)
	case kernels.F16, kernels.BF16:
		t.u16 = make([]uint16, n)
	case kernels.I32:
		t.i32 = make([]int32, n)
	default:
		nb, err := dt.Bytes(shape)
		if err != nil {
			panic(fmt.Sprintf("kernels: Zeros: %v", err))
		}
		t.raw = make([]byte, nb)
		t.pk = b.newPanelCache(dt, t.raw, t.shape)
	}
	return t
}

// FromFloat32 allocates a tensor of dtype dt holding data rounded to dt. Block
// types are quantized row by row with qblock.EncodeRow.
func (b *Backend) FromFloat32(dt kernels.DType, data []float32, shape ...int) kernels.Tensor {
	checkShape("FromFloat32", shape)
	if n := shapeNumel(shape); n != len(data) {
		panic(fmt.Sprintf("kernels: FromFloat32: %d values for shape %v (%d elements)", len(data), shape, n))
	}
	if dt == kernels.I32 {
		panic("kernels: FromFloat32: dtype I32 is not a float type")
	}
	t := tns(b.Zeros(dt, shape...))
	store(t, 0, data)
	return t
}

// FromBytes wraps data as a tensor. When data is aligned for dt's element
// type it is reinterpreted in place (memory-mapped checkpoints are not
// copied); otherwise it is copied.
func (b *Backend) FromBytes(dt kernels.DType, data []byte, shape ...int) kernels.Tensor {
	kernels.CheckFromBytes(dt, data, shape)
	t := &tensor{dt: dt, shape: append([]int(nil), shape...)}
	n := shapeNumel(shape)
	if !littleEndian && (dt == kernels.F32 || dt == kernels.I32 || dt == kernels.F16 || dt == kernels.BF16) {
		panic("kernels: FromBytes: big-endian hosts are not supported")
	}
	switch dt {
	case kernels.F32:
		t.f32 = reinterpret[float32](data, n)
	case kernels.I32:
		t.i32 = reinterpret[int32](data, n)
	case kernels.F16, kernels.BF16:
		t.u16 = reinterpret[uint16](data, n)
	default:
		t.raw = data
		t.pk = b.newPanelCache(dt, t.raw, t.shape)
	}
	return t
}

// reinterpret returns data as n elements of T: the same memory when it is
// aligned for T, else a copy.
func reinterpret[T float32 | int32 | uint16](data []byte, n int) []T {
	if n == 0 {
		return []T{}
	}
	var zero T
	p := unsafe.Pointer(unsafe.SliceData(data))
	if uintptr(p)%unsafe.Alignof(zero) == 0 {
		return unsafe.Slice((*T)(p), n)
	}
	v := make([]T, n)
	copy(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), len(data)), data)
	return v
}

var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// ToFloat32 copies t into dst (grown as needed) widened to float32.
func (b *Backend) ToFloat32(x kernels.Tensor, dst []float32) []float32 {
	t := tns(x)
	n := t.numel()
	if cap(dst) < n {
		dst = make([]float32, n)
	}
	dst = dst[:n]
	if t.dt.IsQuantized() {
		_, c := t.rows()
		for r := 0; r*c < n; r++ {
			decodeRow(t, r, dst[r*c:(r+1)*c])
		}
		return dst
	}
	load(t, 0, dst)
	return dst
}

// ReadBytes returns a copy of t's raw storage.
func (b *Backend) ReadBytes(x kernels.Tensor) []byte {
	return append([]byte(nil), tns(x).bytes()...)
}

// View returns rows [start, end) of t's first dimension, sharing storage.
func (b *Backend) View(x kernels.Tensor, start, end int, shape ...int) kernels.Tensor {
	t := tns(x)
	newShape, inner := kernels.ViewShape(t, start, end, shape)
	v := &tensor{dt: t.dt, shape: newShape}
	per := shapeNumel(inner)
	switch {
	case t.f32 != nil:
		v.f32 = t.f32[start*per : end*per]
	case t.u16 != nil:
		v.u16 = t.u16[start*per : end*per]
	case t.i32 != nil:
		v.i32 = t.i32[start*per : end*per]
	default:
		lo, hi := kernels.ViewBytes(t, start, end, newShape, inner)
		v.raw = t.raw[lo:hi]
		t.shareCache(v, lo)
	}
	return v
}

// Reshape returns a tensor sharing t's storage with a new shape.
func (b *Backend) Reshape(x kernels.Tensor, shape ...int) kernels.Tensor {
	t := tns(x)
	kernels.CheckReshape(t, shape)
	v := *t
	v.shape = append([]int(nil), shape...)
	t.shareCache(&v, 0)
	return &v
}

// Free drops the tensor's reference to its storage; the garbage collector
// reclaims it once no view refers to it.
func (b *Backend) Free(x kernels.Tensor) {
	t := tns(x)
	if t == nil {
		return
	}
	t.f32, t.u16, t.i32, t.raw = nil, nil, nil, nil
	t.pk = nil
	t.freed = true
}
