package safetensors

import (
	"fmt"
	"io"
	"math"
	"math/bits"

	"github.com/distill-dev/distill/kernels"
)

// Tensor is one named tensor: as read from a file (Data aliases the file's
// mapping and is valid until File.Close) or as given to Write.
type Tensor struct {
	Name  string
	DType string // the file's dtype name: "F32", "F16", "BF16", "I64", ...
	Shape []int  // row-major, outermost first; empty for a scalar
	Data  []byte // little-endian elements

	// Source, when Data is nil, streams the tensor's bytes to Write
	// instead (exactly Size() bytes).
	Source io.WriterTo

	path string // the file it was read from, for error messages
}

// KernelDType returns the kernels dtype of t, or an error naming the file and
// tensor when the kernels cannot store its dtype.
func (t *Tensor) KernelDType() (kernels.DType, error) {
	if dt, ok := kernelDTypes[t.DType]; ok {
		return dt, nil
	}
	return 0, fmt.Errorf("safetensors: %s: tensor %q: dtype %s is not supported (want F32, F16, BF16 or I32)", t.path, t.Name, t.DType)
}

// NumElements returns the product of the shape.
func (t *Tensor) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// byteSize returns prod(shape) * bits(dtype) / 8, checking every step for
// overflow and that the size is a whole number of bytes.
func byteSize(dtype string, shape []int) (uint64, error) {
	nbits, ok := dtypeBits[dtype]
	if !ok {
		return 0, fmt.Errorf("unknown dtype %q", dtype)
	}
	n := uint64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %v", shape)
		}
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 {
			return 0, fmt.Errorf("shape %v overflows", shape)
		}
		n = lo
	}
	hi, total := bits.Mul64(n, uint64(nbits))
	if hi != 0 || total > 1<<62 {
		return 0, fmt.Errorf("shape %v of %s overflows", shape, dtype)
	}
	if total%8 != 0 {
		return 0, fmt.Errorf("shape %v of %s is not a whole number of bytes", shape, dtype)
	}
	return total / 8, nil
}

// Size returns the tensor's size in bytes, or an error for an unknown dtype
// or an impossible shape.
func (t *Tensor) Size() (int, error) {
	n, err := byteSize(t.DType, t.Shape)
	if err == nil && n > math.MaxInt {
		err = fmt.Errorf("shape %v of %s does not fit in memory", t.Shape, t.DType)
	}
	return int(n), err
}
