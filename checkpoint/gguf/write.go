package gguf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/distill-dev/distill/internal/atomicfile"
)

// Write writes a GGUF v3 file atomically: on error any existing file at
// path is left untouched.
func Write(path string, kv []KV, tensors []Tensor) error {
	err := atomicfile.Write(path, func(w io.Writer) error {
		return Encode(w, kv, tensors)
	})
	if err != nil {
		return fmt.Errorf("gguf: %s: %w", path, err)
	}
	return nil
}

// Encode writes a GGUF v3 stream: the metadata pairs in the given order,
// then the tensor infos and data in the given order, each tensor's data
// aligned to general.alignment (a uint32 in kv, default 32) and padded with
// zeros. Tensor shapes are outermost first (see Tensor.Shape); Data (or
// Source) must hold exactly Size() bytes.
//
// The spec requires general.quantization_version when any tensor is
// quantized; when kv lacks it, Encode appends it with the value llama.cpp
// writes (2).
func Encode(w io.Writer, kv []KV, tensors []Tensor) error {
	kv = withQuantVersion(kv, tensors)
	align, err := checkKV(kv)
	if err != nil {
		return err
	}
	offsets, err := checkTensors(tensors, align)
	if err != nil {
		return err
	}
	e := &encoder{w: w}
	e.raw([]byte(Magic))
	e.u32(Version)
	e.u64(uint64(len(tensors)))
	e.u64(uint64(len(kv)))
	for _, p := range kv {
		e.str(p.Key)
		t, _, _ := typeOf(p.Value)
		e.u32(uint32(t))
		e.value(p.Value)
	}
	for i := range tensors {
		t := &tensors[i]
		e.str(t.Name)
		ne := t.ne()
		e.u32(uint32(len(ne)))
		for _, n := range ne {
			e.u64(n)
		}
		e.u32(uint32(t.Type))
		e.u64(offsets[i])
	}
	e.pad(align)
	for i := range tensors {
		if e.err != nil {
			break
		}
		e.tensor(&tensors[i])
		e.pad(align)
	}
	return e.err
}

// QuantVersionKey is the metadata key of the quantization format version.
const QuantVersionKey = "general.quantization_version"

// quantVersion is the value of QuantVersionKey that llama.cpp writes.
const quantVersion = 2

// withQuantVersion appends general.quantization_version when a tensor is
// quantized and kv lacks it.
func withQuantVersion(kv []KV, tensors []Tensor) []KV {
	for _, p := range kv {
		if p.Key == QuantVersionKey {
			return kv
		}
	}
	for _, t := range tensors {
		if info, ok := typeInfos[t.Type]; ok && info.blockSize > 1 {
			return append(kv[:len(kv):len(kv)], KV{QuantVersionKey, uint32(quantVersion)})
		}
	}
	return kv
}

// checkKV validates the metadata and returns the alignment it asks for.
func checkKV(kv []KV) (int, error) {
	align := DefaultAlignment
	seen := map[string]bool{}
	for _, p := range kv {
		if len(p.Key) == 0 || len(p.Key) > maxKeyLen {
			return 0, fmt.Errorf("metadata key %q: length %d (want 1..%d)", p.Key, len(p.Key), maxKeyLen)
		}
		if seen[p.Key] {
			return 0, fmt.Errorf("metadata key %q: duplicate", p.Key)
		}
		seen[p.Key] = true
		if err := checkValue(p.Value, 0); err != nil {
			return 0, fmt.Errorf("metadata key %q: %w", p.Key, err)
		}
		if p.Key == AlignmentKey {
			a, ok := p.Value.(uint32)
			if !ok || a == 0 || a&(a-1) != 0 || a%8 != 0 || a > 1<<30 {
				return 0, fmt.Errorf("metadata key %q: want a uint32 power of two multiple of 8, got %T %v", AlignmentKey, p.Value, p.Value)
			}
			align = int(a)
		}
	}
	return align, nil
}

// checkValue checks a metadata value at array nesting depth (0: the
// key's own value) with the decoder's rule (decoder.array): an array is
// refused at depth maxDepth and below, whatever its elements, so every
// file written reads back.
func checkValue(v any, depth int) error {
	t, _, err := typeOf(v)
	if err != nil {
		return err
	}
	if t != Array {
		return nil
	}
	if depth >= maxDepth {
		return fmt.Errorf("arrays nested deeper than %d", maxDepth)
	}
	nested, ok := v.([]any)
	if !ok {
		return nil
	}
	for i, x := range nested {
		if t, _, _ := typeOf(x); t != Array {
			return fmt.Errorf("element %d of an array of arrays is %T", i, x)
		}
		if err := checkValue(x, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// checkTensors validates the tensors and returns each one's data offset
// relative to the data section.
func checkTensors(tensors []Tensor, align int) ([]uint64, error) {
	offsets := make([]uint64, len(tensors))
	seen := map[string]bool{}
	var off uint64
	for i := range tensors {
		t := &tensors[i]
		// llama.cpp keeps names in a 64-byte buffer with a terminating NUL.
		if len(t.Name) == 0 || len(t.Name) >= MaxNameLen {
			return nil, fmt.Errorf("tensor %q: name length %d (want 1..%d)", t.Name, len(t.Name), MaxNameLen-1)
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("tensor %q: duplicate name", t.Name)
		}
		seen[t.Name] = true
		if len(t.Shape) > MaxDims {
			return nil, fmt.Errorf("tensor %q: %d dimensions (at most %d)", t.Name, len(t.Shape), MaxDims)
		}
		size, err := t.Size()
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", t.Name, err)
		}
		if t.Source == nil && len(t.Data) != size {
			return nil, fmt.Errorf("tensor %q: %s %v needs %d bytes, Data has %d", t.Name, t.Type, t.Shape, size, len(t.Data))
		}
		offsets[i] = off
		off = alignUp(off+uint64(size), uint64(align))
	}
	return offsets, nil
}

// encoder writes little-endian fields, keeping the first error.
type encoder struct {
	w   io.Writer
	n   int64
	err error
	buf [8]byte
}

func (e *encoder) raw(b []byte) {
	if e.err != nil {
		return
	}
	n, err := e.w.Write(b)
	e.n += int64(n)
	e.err = err
}

func (e *encoder) u8(v uint8) { e.raw([]byte{v}) }

func (e *encoder) u16(v uint16) {
	binary.LittleEndian.PutUint16(e.buf[:], v)
	e.raw(e.buf[:2])
}

func (e *encoder) u32(v uint32) {
	binary.LittleEndian.PutUint32(e.buf[:], v)
	e.raw(e.buf[:4])
}

func (e *encoder) u64(v uint64) {
	binary.LittleEndian.PutUint64(e.buf[:], v)
	e.raw(e.buf[:8])
}

func (e *encoder) str(s string) {
	e.u64(uint64(len(s)))
	e.raw([]byte(s))
}

func (e *encoder) pad(align int) {
	if n := int(alignUp(uint64(e.n), uint64(align)) - uint64(e.n)); n > 0 {
		e.raw(make([]byte, n))
	}
}

func boolByte(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// value writes a metadata value (without its type tag).
func (e *encoder) value(v any) {
	switch x := v.(type) {
	case uint8:
		e.u8(x)
	case int8:
		e.u8(uint8(x))
	case uint16:
		e.u16(x)
	case int16:
		e.u16(uint16(x))
	case uint32:
		e.u32(x)
	case int32:
		e.u32(uint32(x))
	case float32:
		e.u32(math.Float32bits(x))
	case bool:
		e.u8(boolByte(x))
	case string:
		e.str(x)
	case uint64:
		e.u64(x)
	case int64:
		e.u64(uint64(x))
	case float64:
		e.u64(math.Float64bits(x))
	default:
		e.array(v)
	}
}

// array writes an array value: element type, length, elements.
func (e *encoder) array(v any) {
	_, elem, _ := typeOf(v)
	e.u32(uint32(elem))
	switch x := v.(type) {
	case []uint8:
		e.u64(uint64(len(x)))
		e.raw(x)
	case []string:
		e.u64(uint64(len(x)))
		for _, s := range x {
			e.str(s)
		}
	case []any:
		e.u64(uint64(len(x)))
		for _, a := range x {
			e.array(a)
		}
	default:
		writeSlice(e, x)
	}
}

// writeSlice writes the length and elements of a fixed-size slice.
func writeSlice(e *encoder, v any) {
	each := func(n int, f func(i int)) {
		e.u64(uint64(n))
		for i := 0; i < n; i++ {
			f(i)
		}
	}
	switch x := v.(type) {
	case []int8:
		each(len(x), func(i int) { e.u8(uint8(x[i])) })
	case []uint16:
		each(len(x), func(i int) { e.u16(x[i]) })
	case []int16:
		each(len(x), func(i int) { e.u16(uint16(x[i])) })
	case []uint32:
		each(len(x), func(i int) { e.u32(x[i]) })
	case []int32:
		each(len(x), func(i int) { e.u32(uint32(x[i])) })
	case []float32:
		each(len(x), func(i int) { e.u32(math.Float32bits(x[i])) })
	case []bool:
		each(len(x), func(i int) { e.u8(boolByte(x[i])) })
	case []uint64:
		each(len(x), func(i int) { e.u64(x[i]) })
	case []int64:
		each(len(x), func(i int) { e.u64(uint64(x[i])) })
	case []float64:
		each(len(x), func(i int) { e.u64(math.Float64bits(x[i])) })
	default:
		e.err = errors.New("gguf: internal error: unhandled array type")
	}
}

// tensor writes one tensor's data from Data or streamed from Source.
func (e *encoder) tensor(t *Tensor) {
	if t.Source == nil {
		e.raw(t.Data)
		return
	}
	size, _ := t.Size()
	before := e.n
	if _, err := t.Source.WriteTo(e); err != nil && e.err == nil {
		e.err = fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	if e.err == nil && e.n-before != int64(size) {
		e.err = fmt.Errorf("tensor %q: Source wrote %d bytes, want %d", t.Name, e.n-before, size)
	}
}

// Write lets Source.WriteTo write through the encoder's byte count.
func (e *encoder) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	e.raw(p)
	if e.err != nil {
		return 0, e.err
	}
	return len(p), nil
}
