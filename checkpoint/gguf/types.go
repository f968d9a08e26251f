package gguf

import (
	"fmt"
	"math/bits"

	"github.com/distill-dev/distill/kernels"
)

// GGMLType is a tensor type id as stored in GGUF tensor infos (ggml's enum
// ggml_type; ids 4, 5 and 31-33, 36-38 are retired).
type GGMLType uint32

// The ggml tensor types.
const (
	TypeF32     GGMLType = 0
	TypeF16     GGMLType = 1
	TypeQ4_0    GGMLType = 2
	TypeQ4_1    GGMLType = 3
	TypeQ5_0    GGMLType = 6
	TypeQ5_1    GGMLType = 7
	TypeQ8_0    GGMLType = 8
	TypeQ8_1    GGMLType = 9
	TypeQ2_K    GGMLType = 10
	TypeQ3_K    GGMLType = 11
	TypeQ4_K    GGMLType = 12
	TypeQ5_K    GGMLType = 13
	TypeQ6_K    GGMLType = 14
	TypeQ8_K    GGMLType = 15
	TypeIQ2_XXS GGMLType = 16
	TypeIQ2_XS  GGMLType = 17
	TypeIQ3_XXS GGMLType = 18
	TypeIQ1_S   GGMLType = 19
	TypeIQ4_NL  GGMLType = 20
	TypeIQ3_S   GGMLType = 21
	TypeIQ2_S   GGMLType = 22
	TypeIQ4_XS  GGMLType = 23
	TypeI8      GGMLType = 24
	TypeI16     GGMLType = 25
	TypeI32     GGMLType = 26
	TypeI64     GGMLType = 27
	TypeF64     GGMLType = 28
	TypeIQ1_M   GGMLType = 29
	TypeBF16    GGMLType = 30
	TypeTQ1_0   GGMLType = 34
	TypeTQ2_0   GGMLType = 35
	TypeMXFP4   GGMLType = 39
)

// typeInfo is a ggml type's name and block layout: blockSize elements are
// stored in typeSize bytes (ggml's type_traits blck_size and type_size).
type typeInfo struct {
	name      string
	blockSize int
	typeSize  int
}

var typeInfos = map[GGMLType]typeInfo{
	TypeF32: {"F32", 1, 4}, TypeF16: {"F16", 1, 2},
	TypeQ4_0: {"Q4_0", 32, 18}, TypeQ4_1: {"Q4_1", 32, 20},
	TypeQ5_0: {"Q5_0", 32, 22}, TypeQ5_1: {"Q5_1", 32, 24},
	TypeQ8_0: {"Q8_0", 32, 34}, TypeQ8_1: {"Q8_1", 32, 36},
	TypeQ2_K: {"Q2_K", 256, 84}, TypeQ3_K: {"Q3_K", 256, 110},
	TypeQ4_K: {"Q4_K", 256, 144}, TypeQ5_K: {"Q5_K", 256, 176},
	TypeQ6_K: {"Q6_K", 256, 210}, TypeQ8_K: {"Q8_K", 256, 292},
	TypeIQ2_XXS: {"IQ2_XXS", 256, 66}, TypeIQ2_XS: {"IQ2_XS", 256, 74},
	TypeIQ3_XXS: {"IQ3_XXS", 256, 98}, TypeIQ1_S: {"IQ1_S", 256, 50},
	TypeIQ4_NL: {"IQ4_NL", 32, 18}, TypeIQ3_S: {"IQ3_S", 256, 110},
	TypeIQ2_S: {"IQ2_S", 256, 82}, TypeIQ4_XS: {"IQ4_XS", 256, 136},
	TypeI8: {"I8", 1, 1}, TypeI16: {"I16", 1, 2}, TypeI32: {"I32", 1, 4},
	TypeI64: {"I64", 1, 8}, TypeF64: {"F64", 1, 8},
	TypeIQ1_M: {"IQ1_M", 256, 56}, TypeBF16: {"BF16", 1, 2},
	TypeTQ1_0: {"TQ1_0", 256, 54}, TypeTQ2_0: {"TQ2_0", 256, 66},
	TypeMXFP4: {"MXFP4", 32, 17},
}

// kernelTypes maps the ggml types the kernels store to their DType.
var kernelTypes = map[GGMLType]kernels.DType{
	TypeF32: kernels.F32, TypeF16: kernels.F16, TypeBF16: kernels.BF16,
	TypeI32:  kernels.I32,
	TypeQ8_0: kernels.Q8_0, TypeQ4_0: kernels.Q4_0, TypeQ4_1: kernels.Q4_1,
	TypeQ4_K: kernels.Q4_K, TypeQ6_K: kernels.Q6_K,
	TypeQ5_0: kernels.Q5_0, TypeQ5_1: kernels.Q5_1, TypeQ5_K: kernels.Q5_K,
	TypeQ3_K: kernels.Q3_K, TypeQ2_K: kernels.Q2_K,
}

// String returns ggml's name for the type ("Q4_K"), or "GGMLType(n)".
func (t GGMLType) String() string {
	if info, ok := typeInfos[t]; ok {
		return info.name
	}
	return fmt.Sprintf("GGMLType(%d)", uint32(t))
}

// Known reports whether t is a ggml type this package can size.
func (t GGMLType) Known() bool { _, ok := typeInfos[t]; return ok }

// DType returns the kernels dtype stored as t, or false when the kernels
// have none (Q5_K, IQ2_XS, ...).
func (t GGMLType) DType() (kernels.DType, bool) {
	dt, ok := kernelTypes[t]
	return dt, ok
}

// TypeOf returns the ggml type that stores the kernels dtype dt, or false
// for distill's own formats, which GGUF cannot hold.
func TypeOf(dt kernels.DType) (GGMLType, bool) {
	for t, d := range kernelTypes {
		if d == dt {
			return t, true
		}
	}
	return 0, false
}

// tensorBytes returns the storage size of a tensor of type t whose ggml
// dimensions are ne (ne[0] the row length), with overflow checks.
func tensorBytes(t GGMLType, ne []uint64) (uint64, error) {
	info, ok := typeInfos[t]
	if !ok {
		return 0, fmt.Errorf("unknown ggml type %d", uint32(t))
	}
	row := uint64(1)
	if len(ne) > 0 {
		row = ne[0]
	}
	if row%uint64(info.blockSize) != 0 {
		return 0, fmt.Errorf("row length %d of %s is not a multiple of the block size %d", row, info.name, info.blockSize)
	}
	n := row / uint64(info.blockSize) * uint64(info.typeSize)
	for i := 1; i < len(ne); i++ {
		hi, lo := bits.Mul64(n, ne[i])
		if hi != 0 || lo > 1<<62 {
			return 0, fmt.Errorf("dimensions %v of %s overflow", ne, info.name)
		}
		n = lo
	}
	if n > 1<<62 {
		return 0, fmt.Errorf("dimensions %v of %s overflow", ne, info.name)
	}
	return n, nil
}
