package kerneltest

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/distill-dev/distill/kernels"
)

// testStorage covers Zeros, FromFloat32, FromBytes (aligned and not),
// ToFloat32, ReadBytes, View, Reshape and Fill.
func testStorage(e *env) {
	b := e.b
	for _, dt := range FloatTypes {
		z := b.Zeros(dt, 3, 5)
		if got := z.Shape(); len(got) != 2 || got[0] != 3 || got[1] != 5 || z.DType() != dt {
			e.Fatalf("Zeros(%s, 3, 5): shape %v dtype %s", dt, got, z.DType())
		}
		compare(e.T, "Zeros", b.ToFloat32(z, nil), make([]float64, 15), 0)

		// FromFloat32 rounds to nearest: within half an ulp of dt.
		vals := e.randn(24, 3)
		x := b.FromFloat32(dt, vals, 2, 3, 4)
		got := b.ToFloat32(x, nil)
		ulp := map[kernels.DType]float64{kernels.F32: 0, kernels.F16: 0x1p-11, kernels.BF16: 0x1p-8}[dt]
		for i, v := range vals {
			if d := math.Abs(float64(got[i]) - float64(v)); d > ulp*math.Abs(float64(v))*1.0001 && d > 6e-8 {
				e.Errorf("FromFloat32(%s) [%d]: %v stored as %v", dt, i, v, got[i])
			}
		}

		// ReadBytes then FromBytes round-trips, aligned and unaligned.
		raw := b.ReadBytes(x)
		if want, _ := dt.Bytes([]int{2, 3, 4}); len(raw) != want {
			e.Fatalf("ReadBytes(%s): %d bytes, want %d", dt, len(raw), want)
		}
		for _, shift := range []int{0, 1} {
			buf := make([]byte, len(raw)+8)
			src := buf[shift : shift+len(raw)]
			copy(src, raw)
			y := b.FromBytes(dt, src, 6, 4)
			compare(e.T, "FromBytes", b.ToFloat32(y, nil), f64(got), 0)
		}

		// View: rows [1, 2) of the first dimension, default and explicit shapes.
		v := b.View(x, 1, 2)
		if s := v.Shape(); len(s) != 3 || s[0] != 1 || s[1] != 3 || s[2] != 4 {
			e.Errorf("View(%s) shape %v, want [1 3 4]", dt, s)
		}
		compare(e.T, "View", b.ToFloat32(v, nil), f64(got[12:]), 0)
		v2 := b.View(x, 0, 1, 12)
		compare(e.T, "View reshaped", b.ToFloat32(v2, nil), f64(got[:12]), 0)
		r := b.Reshape(x, 4, 6)
		compare(e.T, "Reshape", b.ToFloat32(r, nil), f64(got), 0)

		// Views share storage: filling a view shows through the parent.
		b.Fill(b.View(r, 1, 3), 2.5)
		want := f64(got)
		for i := 6; i < 18; i++ {
			want[i] = 2.5
		}
		compare(e.T, "Fill through View", b.ToFloat32(x, nil), want, 0)

		g, _ := e.output(dt, true, 7, 3)
		b.Fill(g.T, -1.25)
		e.check("Fill", g, constant(21, -1.25), 0)
		b.Free(b.Zeros(dt, 4))
	}

	// F32 and I32 raw bytes are little-endian IEEE / two's complement.
	raw := make([]byte, 8)
	binary.LittleEndian.PutUint32(raw, math.Float32bits(1.5))
	binary.LittleEndian.PutUint32(raw[4:], math.Float32bits(-3))
	compare(e.T, "FromBytes F32", b.ToFloat32(b.FromBytes(kernels.F32, raw, 2), nil), []float64{1.5, -3}, 0)
	binary.LittleEndian.PutUint32(raw, uint32(7))
	binary.LittleEndian.PutUint32(raw[4:], uint32(0xFFFFFFFE))
	ids := b.FromBytes(kernels.I32, raw, 2)
	compare(e.T, "FromBytes I32", b.ToFloat32(ids, nil), []float64{7, -2}, 0)
	// Half-precision bit patterns: 1.0 is 0x3C00 in F16 and 0x3F80 in BF16.
	binary.LittleEndian.PutUint16(raw, 0x3C00)
	binary.LittleEndian.PutUint16(raw[2:], 0xC000) // -2
	compare(e.T, "FromBytes F16", b.ToFloat32(b.FromBytes(kernels.F16, raw[:4], 2), nil), []float64{1, -2}, 0)
	binary.LittleEndian.PutUint16(raw, 0x3F80)
	binary.LittleEndian.PutUint16(raw[2:], 0xC000) // -2
	compare(e.T, "FromBytes BF16", b.ToFloat32(b.FromBytes(kernels.BF16, raw[:4], 2), nil), []float64{1, -2}, 0)
	if got := b.ReadBytes(b.FromFloat32(kernels.BF16, []float32{1, -2}, 2)); binary.LittleEndian.Uint16(got) != 0x3F80 || binary.LittleEndian.Uint16(got[2:]) != 0xC000 {
		e.Errorf("ReadBytes(BF16 [1 -2]) = %x", got)
	}
}

// testBlockStorage covers the storage methods on block-typed tensors:
// FromFloat32 quantizes, ReadBytes/FromBytes round-trip the bytes, View
// slices whole rows and Copy dequantizes into a float tensor.
func testBlockStorage(e *env) {
	for _, dt := range BlockTypes {
		e.Run(dt.String(), func(t *testing.T) {
			skipUnimplemented(t, func() {
				b := e.b
				k := 256
				x := b.FromFloat32(dt, e.randn(4*k, 1), 4, k)
				want := b.ToFloat32(x, nil)
				raw := b.ReadBytes(x)
				if n, _ := dt.Bytes([]int{4, k}); len(raw) != n {
					t.Fatalf("ReadBytes(%s): %d bytes, want %d", dt, len(raw), n)
				}
				y := b.FromBytes(dt, raw, 2, 2, k)
				compare(t, "FromBytes "+dt.String(), b.ToFloat32(y, nil), f64(want), 0)
				compare(t, "View "+dt.String(), b.ToFloat32(b.View(x, 1, 3), nil), f64(want[k:3*k]), 0)
				compare(t, "View 3-d "+dt.String(), b.ToFloat32(b.View(y, 1, 2, 2, k), nil), f64(want[2*k:]), 0)
				for _, fdt := range FloatTypes {
					f := b.Zeros(fdt, 4, k)
					b.Copy(f, x)
					compare(t, "Copy "+dt.String()+"->"+fdt.String(), b.ToFloat32(f, nil), f64(want), Tol(fdt))
				}
			})
		})
	}
}

func constant(n int, v float64) []float64 {
	o := make([]float64, n)
	for i := range o {
		o[i] = v
	}
	return o
}

// testCopy covers Copy and Cast between every pair of float types.
func testCopy(e *env) {
	for _, sdt := range FloatTypes {
		for _, ddt := range FloatTypes {
			src, sv := e.input(sdt, 2, 5, 7)
			dst, _ := e.output(ddt, false, 5, 7)
			e.b.Copy(dst.T, src)
			e.check("Copy "+sdt.String()+"->"+ddt.String(), dst, sv, Tol(ddt))
			dst2, _ := e.output(ddt, false, 35)
			e.b.Copy(dst2.T, src) // same element count, other shape
			e.check("Copy reshaped", dst2, sv, Tol(ddt))
			dst3, _ := e.output(ddt, true, 5, 7)
			e.b.Cast(dst3.T, src)
			e.check("Cast "+sdt.String()+"->"+ddt.String(), dst3, sv, Tol(ddt))
		}
	}
}
