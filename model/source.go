package model

import (
	"fmt"
	"slices"
	"sort"

	"github.com/distill-dev/distill/kernels"
)

// HostTensor is a tensor in host memory as a checkpoint reader yields it:
// raw little-endian storage laid out as DType.Bytes describes, with its
// shape ([out, in] for matrices). Data may be memory-mapped; New never
// modifies it.
type HostTensor struct {
	Name  string
	DType kernels.DType
	Shape []int
	Data  []byte
}

// TensorSource yields a checkpoint's tensors by canonical name. Lookup
// returns ok == false when the tensor does not exist. Where names the
// source in errors (usually the file path).
type TensorSource interface {
	Lookup(name string) (t HostTensor, ok bool)
	Where() string
}

// MapSource is a TensorSource backed by a map, for readers that have
// already renamed tensors to canonical names.
type MapSource struct {
	Name    string
	Tensors map[string]HostTensor
}

// Lookup implements TensorSource.
func (s *MapSource) Lookup(name string) (HostTensor, bool) {
	t, ok := s.Tensors[name]
	return t, ok
}

// Where implements TensorSource.
func (s *MapSource) Where() string { return s.Name }

// Add stores t under its name.
func (s *MapSource) Add(t HostTensor) {
	if s.Tensors == nil {
		s.Tensors = map[string]HostTensor{}
	}
	s.Tensors[t.Name] = t
}

// Names returns the tensor names in sorted order.
func (s *MapSource) Names() []string {
	names := make([]string, 0, len(s.Tensors))
	for n := range s.Tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// CheckTensor verifies that t can serve as parameter p: same shape, a
// supported dtype, and storage of the size the dtype and shape imply.
func CheckTensor(p ParamSpec, t HostTensor) error {
	if !slices.Equal(t.Shape, p.Shape) {
		return fmt.Errorf("tensor %s has shape %v, config wants %v", p.Name, t.Shape, p.Shape)
	}
	if !supportedDType(t.DType, len(p.Shape)) {
		return fmt.Errorf("tensor %s has unsupported dtype %s", p.Name, t.DType)
	}
	want, err := t.DType.Bytes(t.Shape)
	if err != nil {
		return fmt.Errorf("tensor %s: %w", p.Name, err)
	}
	if len(t.Data) != want {
		return fmt.Errorf("tensor %s: %d bytes of %s data for shape %v, want %d", p.Name, len(t.Data), t.DType, t.Shape, want)
	}
	return nil
}

// supportedDType says whether weights of dtype dt may be used directly:
// float types anywhere, block types only for matrices (MatMul and Embedding
// decode them by row).
func supportedDType(dt kernels.DType, rank int) bool {
	if dt.IsFloat() {
		return true
	}
	return rank == 2 && dt.IsQuantized() && dt < kernels.NumDTypes
}
