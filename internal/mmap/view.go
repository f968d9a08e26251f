package mmap

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

	"github.com/distill-dev/distill/kernels"
)

// littleEndian reports whether the host stores words little-endian, the byte
// order of every checkpoint format read here.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// Float32s returns data (little-endian IEEE binary32) as []float32. It
// returns a view sharing data's memory when the host is little-endian and
// data is 4-byte aligned — the case for mapped checkpoints — and a decoded
// copy otherwise. The view is read-only when data is a mapping. It panics
// when len(data) is not a multiple of 4 (a caller bug: readers validate
// sizes).
func Float32s(data []byte) []float32 {
	if len(data)%4 != 0 {
		panic(fmt.Sprintf("mmap: Float32s of %d bytes", len(data)))
	}
	n := len(data) / 4
	if n == 0 {
		return nil
	}
	if littleEndian && uintptr(unsafe.Pointer(&data[0]))%4 == 0 {
		return unsafe.Slice((*float32)(unsafe.Pointer(&data[0])), n)
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return out
}

// CheckFinite returns the index of the first NaN or infinite element of data
// stored as dt, or -1 when all are finite. Only F32, F16 and BF16 are
// checked; other dtypes return -1. Checking the exponent bits directly needs
// no conversion: an all-ones exponent means Inf or NaN.
func CheckFinite(dt kernels.DType, data []byte) int {
	switch dt {
	case kernels.F32:
		for i := 0; i+4 <= len(data); i += 4 {
			if binary.LittleEndian.Uint32(data[i:])&0x7f800000 == 0x7f800000 {
				return i / 4
			}
		}
	case kernels.F16:
		for i := 0; i+2 <= len(data); i += 2 {
			if binary.LittleEndian.Uint16(data[i:])&0x7c00 == 0x7c00 {
				return i / 2
			}
		}
	case kernels.BF16:
		for i := 0; i+2 <= len(data); i += 2 {
			if binary.LittleEndian.Uint16(data[i:])&0x7f80 == 0x7f80 {
				return i / 2
			}
		}
	}
	return -1
}
