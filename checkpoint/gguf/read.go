package gguf

import (
	"fmt"
	"io"
	"sort"

	"github.com/distill-dev/distill/internal/mmap"
	"github.com/distill-dev/distill/kernels"
)

// Format constants.
const (
	Magic            = "GGUF"
	Version          = 3  // the version Write produces
	DefaultAlignment = 32 // data alignment when general.alignment is absent
	AlignmentKey     = "general.alignment"
	MaxDims          = 4  // ggml's GGML_MAX_DIMS
	MaxNameLen       = 64 // the spec's limit on tensor names, in bytes
	maxKeyLen        = 1<<16 - 1
)

// Tensor is one tensor: as read from a file (Data aliases the mapping and
// is valid until Close) or as given to Write.
type Tensor struct {
	Name string
	Type GGMLType
	// Shape is row-major, outermost first: the reverse of the file's ggml
	// dimensions ne[], so Shape[len(Shape)-1] = ne[0] is the contiguous row.
	// token_embd.weight of a model with vocabulary V and width D has
	// ne = [D, V] in the file and Shape [V, D] here.
	Shape  []int
	Offset int64  // absolute file offset of Data (set by the reader)
	Data   []byte // the tensor's bytes in its ggml layout

	// Source, when Data is nil, streams the tensor's bytes to Write
	// instead (exactly Size() bytes).
	Source io.WriterTo

	path string
}

// NumElements returns the product of the shape.
func (t *Tensor) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// ne returns the ggml dimensions, innermost first.
func (t *Tensor) ne() []uint64 {
	ne := make([]uint64, len(t.Shape))
	for i, d := range t.Shape {
		ne[len(t.Shape)-1-i] = uint64(d)
	}
	return ne
}

// Size returns the tensor's storage size in bytes.
func (t *Tensor) Size() (int, error) {
	for _, d := range t.Shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %v", t.Shape)
		}
	}
	n, err := tensorBytes(t.Type, t.ne())
	if err == nil && n > uint64(int(^uint(0)>>1)) {
		err = fmt.Errorf("shape %v does not fit in memory", t.Shape)
	}
	return int(n), err
}

// KernelDType returns the kernels dtype of t, or an error naming the file,
// tensor and type when the kernels cannot store it.
func (t *Tensor) KernelDType() (kernels.DType, error) {
	if dt, ok := t.Type.DType(); ok {
		return dt, nil
	}
	return 0, fmt.Errorf("gguf: %s: tensor %q: type %s is not supported", t.path, t.Name, t.Type)
}

// File is a parsed GGUF file.
type File struct {
	path      string
	version   uint32
	kv        []KV
	byKey     map[string]int
	tensors   []Tensor // in file order
	byName    map[string]int
	alignment int
	dataStart int64
	m         *mmap.File
}

// Open maps and parses the GGUF file at path.
func Open(path string) (*File, error) {
	f, m, err := mmap.Parse("gguf", path, Read)
	if err != nil {
		return nil, err
	}
	f.m = m
	return f, nil
}

// Read parses a GGUF file held in memory; name is used in error messages.
// The tensors alias data.
func Read(name string, data []byte) (*File, error) {
	f := &File{path: name, byKey: map[string]int{}, byName: map[string]int{}}
	if err := f.parse(data); err != nil {
		return nil, fmt.Errorf("gguf: %s: %w", name, err)
	}
	return f, nil
}

// Close unmaps the file. Tensor data must not be used afterwards.
func (f *File) Close() error { return f.m.Close() }

// parse decodes the header, metadata and tensor infos and validates every
// tensor's data range.
func (f *File) parse(data []byte) error {
	d := &decoder{data: data}
	magic, err := d.take(4, "magic")
	if err != nil {
		return err
	}
	if string(magic) != Magic {
		return fmt.Errorf("bad magic %q (want %q): not a GGUF file", magic, Magic)
	}
	if f.version, err = d.u32("version"); err != nil {
		return err
	}
	switch {
	case f.version == 2 || f.version == 3:
	case f.version == 1:
		return fmt.Errorf("GGUF version 1 (32-bit counts) is not supported; convert the file with a current llama.cpp")
	case f.version == 0x02000000 || f.version == 0x03000000:
		return fmt.Errorf("big-endian GGUF file (version %d byte-swapped) is not supported", f.version>>24)
	default:
		return fmt.Errorf("unsupported GGUF version %d (want 2 or 3)", f.version)
	}
	nTensors, err := d.u64("tensor_count")
	if err != nil {
		return err
	}
	nKV, err := d.u64("metadata_kv_count")
	if err != nil {
		return err
	}
	// Each pair and each tensor info takes at least minKV / minInfo bytes:
	// refuse counts the file cannot hold before allocating for them.
	const minKV, minInfo = 8 + 4 + 1, 8 + 4 + 4 + 8
	if nKV > uint64(d.left())/minKV {
		return fmt.Errorf("metadata_kv_count %d cannot fit in the %d bytes after the header", nKV, d.left())
	}
	if nTensors > uint64(d.left())/minInfo {
		return fmt.Errorf("tensor_count %d cannot fit in the %d bytes after the header", nTensors, d.left())
	}
	if err := f.parseKV(d, int(nKV)); err != nil {
		return err
	}
	if err := f.setAlignment(); err != nil {
		return err
	}
	ne := make([][]uint64, nTensors)
	for i := range ne {
		if ne[i], err = f.parseInfo(d, i); err != nil {
			return err
		}
	}
	// Tensor data starts at the next multiple of the alignment.
	start := alignUp(uint64(d.off), uint64(f.alignment))
	if start > uint64(len(data)) {
		return fmt.Errorf("tensor data would start at offset %d, past the end of the %d-byte file: %w", start, len(data), io.ErrUnexpectedEOF)
	}
	f.dataStart = int64(start)
	return f.placeData(data, ne)
}

// parseKV decodes the metadata pairs.
func (f *File) parseKV(d *decoder, n int) error {
	f.kv = make([]KV, 0, n)
	for i := 0; i < n; i++ {
		off := d.off
		key, err := d.str("metadata key")
		if err != nil {
			return fmt.Errorf("metadata pair %d: %w", i, err)
		}
		if len(key) == 0 || len(key) > maxKeyLen {
			return fmt.Errorf("metadata pair %d at offset %d: key length %d (want 1..%d)", i, off, len(key), maxKeyLen)
		}
		if _, dup := f.byKey[key]; dup {
			return fmt.Errorf("metadata key %q at offset %d: duplicate key", key, off)
		}
		t, err := d.u32("value type")
		if err != nil {
			return fmt.Errorf("metadata key %q: %w", key, err)
		}
		if !ValueType(t).valid() {
			return fmt.Errorf("metadata key %q at offset %d: unknown value type %d", key, d.off-4, t)
		}
		v, err := d.value(ValueType(t), 0)
		if err != nil {
			return fmt.Errorf("metadata key %q: %w", key, err)
		}
		f.byKey[key] = len(f.kv)
		f.kv = append(f.kv, KV{key, v})
	}
	return nil
}

// setAlignment reads general.alignment: a uint32, a power of two and, as
// the spec requires, a multiple of 8.
func (f *File) setAlignment() error {
	f.alignment = DefaultAlignment
	i, ok := f.byKey[AlignmentKey]
	if !ok {
		return nil
	}
	a, ok := f.kv[i].Value.(uint32)
	if !ok {
		return fmt.Errorf("metadata key %q: type %T, want uint32", AlignmentKey, f.kv[i].Value)
	}
	if a == 0 || a&(a-1) != 0 || a%8 != 0 || a > 1<<30 {
		return fmt.Errorf("metadata key %q: alignment %d is not a power of two multiple of 8", AlignmentKey, a)
	}
	f.alignment = int(a)
	return nil
}

// parseInfo decodes tensor info i and returns its ggml dimensions.
func (f *File) parseInfo(d *decoder, i int) ([]uint64, error) {
	off := d.off
	name, err := d.str("tensor name")
	if err != nil {
		return nil, fmt.Errorf("tensor info %d: %w", i, err)
	}
	errf := func(format string, args ...any) error {
		return fmt.Errorf("tensor %q (info at offset %d): "+format, append([]any{name, off}, args...)...)
	}
	if len(name) == 0 || len(name) > MaxNameLen {
		return nil, errf("name length %d (want 1..%d)", len(name), MaxNameLen)
	}
	if _, dup := f.byName[name]; dup {
		return nil, errf("duplicate tensor name")
	}
	nd, err := d.u32("n_dimensions")
	if err != nil {
		return nil, errf("%w", err)
	}
	if nd > MaxDims {
		return nil, errf("%d dimensions (at most %d)", nd, MaxDims)
	}
	ne := make([]uint64, nd)
	shape := make([]int, nd)
	for j := range ne {
		if ne[j], err = d.u64("dimension"); err != nil {
			return nil, errf("%w", err)
		}
		if ne[j] > 1<<62 {
			return nil, errf("dimension %d is %d", j, ne[j])
		}
		shape[int(nd)-1-j] = int(ne[j])
	}
	typ, err := d.u32("type")
	if err != nil {
		return nil, errf("%w", err)
	}
	if !GGMLType(typ).Known() {
		return nil, errf("unknown ggml type %d", typ)
	}
	rel, err := d.u64("offset")
	if err != nil {
		return nil, errf("%w", err)
	}
	if rel%uint64(f.alignment) != 0 {
		return nil, errf("data offset %d is not a multiple of the alignment %d", rel, f.alignment)
	}
	if rel > 1<<62 {
		return nil, errf("data offset %d is out of range", rel)
	}
	f.byName[name] = len(f.tensors)
	f.tensors = append(f.tensors, Tensor{Name: name, Type: GGMLType(typ), Shape: shape, Offset: int64(rel), path: f.path})
	return ne, nil
}

// placeData sizes every tensor, checks that its data lies inside the file
// and that no two tensors overlap, and points Data at it.
func (f *File) placeData(data []byte, ne [][]uint64) error {
	fileLen := uint64(len(data))
	type span struct {
		begin, end uint64
		i          int
	}
	spans := make([]span, len(f.tensors))
	for i := range f.tensors {
		t := &f.tensors[i]
		size, err := tensorBytes(t.Type, ne[i])
		if err != nil {
			return fmt.Errorf("tensor %q: %w", t.Name, err)
		}
		begin := uint64(f.dataStart) + uint64(t.Offset)
		if begin > fileLen || size > fileLen-begin {
			return fmt.Errorf("tensor %q: %d bytes of %s %v at offset %d run past the end of the %d-byte file: %w", t.Name, size, t.Type, t.Shape, begin, fileLen, io.ErrUnexpectedEOF)
		}
		t.Offset = int64(begin)
		t.Data = data[begin : begin+size : begin+size]
		spans[i] = span{begin, begin + size, i}
	}
	sort.Slice(spans, func(a, b int) bool { return spans[a].begin < spans[b].begin })
	for k := 1; k < len(spans); k++ {
		prev, cur := spans[k-1], spans[k]
		if cur.begin < prev.end {
			return fmt.Errorf("tensor %q at offset %d overlaps tensor %q (offsets %d..%d)", f.tensors[cur.i].Name, cur.begin, f.tensors[prev.i].Name, prev.begin, prev.end)
		}
	}
	return nil
}

func alignUp(n, a uint64) uint64 { return n + (a-n%a)%a }

// Path returns the file name given to Open or Read.
func (f *File) Path() string { return f.path }

// Version returns the file's GGUF version (2 or 3).
func (f *File) Version() int { return int(f.version) }

// Alignment returns the data alignment (general.alignment, default 32).
func (f *File) Alignment() int { return f.alignment }

// DataOffset returns the absolute offset of the tensor data section.
func (f *File) DataOffset() int64 { return f.dataStart }

// Tensors returns the tensors in file order. Do not modify the slice.
func (f *File) Tensors() []Tensor { return f.tensors }

// Tensor returns the named tensor, or an error naming the file and tensor.
func (f *File) Tensor(name string) (*Tensor, error) {
	i, ok := f.byName[name]
	if !ok {
		return nil, fmt.Errorf("gguf: %s: tensor %q not found", f.path, name)
	}
	return &f.tensors[i], nil
}
