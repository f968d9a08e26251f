package safetensors

import "github.com/distill-dev/distill/kernels"

// dtypeBits is the element size in bits of every dtype the format defines.
var dtypeBits = map[string]int{
	"BOOL": 8, "U8": 8, "I8": 8,
	"F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
	"F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
	"I16": 16, "U16": 16, "F16": 16, "BF16": 16,
	"I32": 32, "U32": 32, "F32": 32,
	"I64": 64, "U64": 64, "F64": 64, "C64": 64,
}

// kernelDTypes maps the safetensors dtypes the kernels can store.
var kernelDTypes = map[string]kernels.DType{
	"F32":  kernels.F32,
	"F16":  kernels.F16,
	"BF16": kernels.BF16,
	"I32":  kernels.I32,
}

// DTypeName returns the safetensors name of a kernels dtype ("F32", "F16",
// "BF16", "I32") and false for dtypes safetensors cannot hold (the block
// formats).
func DTypeName(dt kernels.DType) (string, bool) {
	for name, d := range kernelDTypes {
		if d == dt {
			return name, true
		}
	}
	return "", false
}
