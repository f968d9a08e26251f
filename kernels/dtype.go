package kernels

import (
	"fmt"
	"math"
)

// DType is the storage type of a tensor's elements. Compute always accumulates
// in float32 whatever the storage type.
//
// Plain types store one element per slot. Block types (the GGML formats and
// distill's own int8/int4 layouts) store BlockSize elements in BlockBytes bytes
// and are only valid along a tensor's last (contiguous) dimension, which must
// be a multiple of BlockSize. Their byte layouts are defined and encoded in
// package kernels/qblock.
type DType uint8

const (
	F32  DType = iota // IEEE binary32
	F16               // IEEE binary16
	BF16              // bfloat16 (upper half of binary32)
	I32               // int32 (token ids, top-k indices)

	// GGML block formats, bit-exact with llama.cpp's ggml-common.h.
	Q8_0 // 32 elements: f16 d, 32 x int8
	Q4_0 // 32 elements: f16 d, 16 bytes of nibbles (value = (q-8)*d)
	Q4_1 // 32 elements: f16 d, f16 m, 16 bytes of nibbles (value = q*d + m)
	Q4_K // 256 elements: super-block with 8 sub-blocks of 32, 6-bit scales/mins
	Q6_K // 256 elements: 16 sub-blocks of 16, 8-bit scales
	Q5_0 // 32 elements: f16 d, 4 bytes of 5th bits, 16 bytes of nibbles (value = (q-16)*d)
	Q5_1 // 32 elements: f16 d, f16 m, 4 bytes of 5th bits, 16 bytes of nibbles (value = q*d + m)
	Q5_K // 256 elements: Q4_K's layout plus a 5th bit per element
	Q3_K // 256 elements: 16 sub-blocks of 16, 6-bit scales, 3-bit values
	Q2_K // 256 elements: 16 sub-blocks of 16, 4-bit scales and mins, 2-bit values

	// distill's weight-only formats (not GGUF types).
	I8CH    // int8 symmetric per output channel: one block is a whole row: f32 scale, K x int8
	I4S_G32 // int4 symmetric, group 32: f16 scale, 16 bytes (value = (q-8)*s)
	I4S_G64
	I4S_G128
	I4A_G32 // int4 asymmetric, group 32: f16 scale, f16 min, 16 bytes (value = q*s + min)
	I4A_G64
	I4A_G128

	NumDTypes
)

// dtypeInfo describes the storage layout of a DType.
type dtypeInfo struct {
	name       string
	blockSize  int // elements per block; 0 means one block per row (I8CH)
	blockBytes int // bytes per block, excluding the per-row part for I8CH
	rowBytes   int // extra bytes per row (the f32 scale of I8CH)
}

var dtypeInfos = [NumDTypes]dtypeInfo{
	F32:      {"F32", 1, 4, 0},
	F16:      {"F16", 1, 2, 0},
	BF16:     {"BF16", 1, 2, 0},
	I32:      {"I32", 1, 4, 0},
	Q8_0:     {"Q8_0", 32, 34, 0},
	Q4_0:     {"Q4_0", 32, 18, 0},
	Q4_1:     {"Q4_1", 32, 20, 0},
	Q4_K:     {"Q4_K", 256, 144, 0},
	Q6_K:     {"Q6_K", 256, 210, 0},
	Q5_0:     {"Q5_0", 32, 22, 0},
	Q5_1:     {"Q5_1", 32, 24, 0},
	Q5_K:     {"Q5_K", 256, 176, 0},
	Q3_K:     {"Q3_K", 256, 110, 0},
	Q2_K:     {"Q2_K", 256, 84, 0},
	I8CH:     {"I8CH", 0, 0, 4},
	I4S_G32:  {"I4S_G32", 32, 18, 0},
	I4S_G64:  {"I4S_G64", 64, 34, 0},
	I4S_G128: {"I4S_G128", 128, 66, 0},
	I4A_G32:  {"I4A_G32", 32, 20, 0},
	I4A_G64:  {"I4A_G64", 64, 36, 0},
	I4A_G128: {"I4A_G128", 128, 68, 0},
}

func (d DType) valid() bool { return d < NumDTypes }

// String returns the dtype's name, e.g. "BF16" or "Q4_K".
func (d DType) String() string {
	if !d.valid() {
		return fmt.Sprintf("DType(%d)", uint8(d))
	}
	return dtypeInfos[d].name
}

// ParseDType maps a name as printed by String (case-sensitive) to its DType.
func ParseDType(name string) (DType, error) {
	for i := range dtypeInfos {
		if dtypeInfos[i].name == name {
			return DType(i), nil
		}
	}
	return 0, fmt.Errorf("kernels: unknown dtype %q", name)
}

// IsFloat reports whether d is one of the plain floating-point types.
func (d DType) IsFloat() bool { return d == F32 || d == F16 || d == BF16 }

// IsQuantized reports whether d is a block (quantized) type.
func (d DType) IsQuantized() bool { return d.valid() && d >= Q8_0 }

// BlockSize is the number of elements in one block (1 for plain types). For
// I8CH it is 0: the block is the whole row.
func (d DType) BlockSize() int { return dtypeInfos[d].blockSize }

// RowBytes returns the bytes needed to store one row of n elements, or an
// error when n is not a multiple of the block size.
func (d DType) RowBytes(n int) (int, error) {
	if !d.valid() {
		return 0, fmt.Errorf("kernels: invalid dtype %d", d)
	}
	info := dtypeInfos[d]
	if n < 0 {
		return 0, fmt.Errorf("kernels: negative row length %d", n)
	}
	if info.blockSize == 0 { // I8CH
		return info.rowBytes + n, nil
	}
	if n%info.blockSize != 0 {
		return 0, fmt.Errorf("kernels: %s row length %d is not a multiple of the block size %d", info.name, n, info.blockSize)
	}
	return n/info.blockSize*info.blockBytes + info.rowBytes, nil
}

// Bytes returns the storage size of a tensor of the given shape, whose last
// dimension is the row. It returns an error when the shape does not fit the
// block size or the size overflows.
func (d DType) Bytes(shape []int) (int, error) {
	if len(shape) == 0 {
		return d.RowBytes(1)
	}
	row, err := d.RowBytes(shape[len(shape)-1])
	if err != nil {
		return 0, err
	}
	total := row
	for _, s := range shape[:len(shape)-1] {
		if s < 0 {
			return 0, fmt.Errorf("kernels: negative dimension in shape %v", shape)
		}
		if s != 0 && total > math.MaxInt/s {
			return 0, fmt.Errorf("kernels: shape %v overflows", shape)
		}
		total *= s
	}
	return total, nil
}
