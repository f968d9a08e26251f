package llama2c

import (
	"fmt"
	"io"

	"github.com/distill-dev/distill/internal/mmap"
)

// Tensor is one named float32 tensor. Data holds little-endian float32
// values; when read from a file it aliases the mapping and is valid until
// Close.
type Tensor struct {
	Name  string
	Shape []int // [out, in] for matrices
	Data  []byte
}

// NumElements returns the product of the shape.
func (t *Tensor) NumElements() int { return int(numel(t.Shape)) }

// Float32s returns the tensor's values, sharing the file's memory where
// the platform allows (see mmap.Float32s). Do not modify them.
func (t *Tensor) Float32s() []float32 { return mmap.Float32s(t.Data) }

// File is an open checkpoint.
type File struct {
	Header  Header
	path    string
	tensors []Tensor // file order, RoPE tables excluded
	byName  map[string]int
	m       *mmap.File
}

// Open maps and parses the checkpoint at path.
func Open(path string) (*File, error) {
	f, m, err := mmap.Parse("llama2c", path, Read)
	if err != nil {
		return nil, err
	}
	f.m = m
	return f, nil
}

// Read parses a checkpoint held in memory; name is used in error messages.
// The tensors alias data.
func Read(name string, data []byte) (*File, error) {
	h, off, err := parseHeader(data)
	if err != nil {
		return nil, fmt.Errorf("llama2c: %s: %w", name, err)
	}
	if want := fileSize(h); int64(len(data)) != want {
		err := fmt.Errorf("llama2c: %s: file is %d bytes but its header (%+v) implies %d", name, len(data), h, want)
		if int64(len(data)) < want {
			err = fmt.Errorf("%w: %w", err, io.ErrUnexpectedEOF)
		}
		return nil, err
	}
	f := &File{Header: h, path: name, byName: map[string]int{}}
	for _, t := range tensorNames(h) {
		n := int(4 * numel(t.Shape))
		t.Data = data[off : off+n : off+n]
		off += n
		if isRope(t.Name) {
			continue
		}
		f.byName[t.Name] = len(f.tensors)
		f.tensors = append(f.tensors, t)
	}
	return f, nil
}

// Close unmaps the file. Tensor data must not be used afterwards.
func (f *File) Close() error { return f.m.Close() }

// Path returns the name given to Open or Read.
func (f *File) Path() string { return f.path }

// Tensors returns the tensors in file order. Do not modify the slice.
func (f *File) Tensors() []Tensor { return f.tensors }

// Tensor returns the named tensor, or an error naming the file and tensor.
func (f *File) Tensor(name string) (*Tensor, error) {
	i, ok := f.byName[name]
	if !ok {
		return nil, fmt.Errorf("llama2c: %s: tensor %q not found", f.path, name)
	}
	return &f.tensors[i], nil
}
