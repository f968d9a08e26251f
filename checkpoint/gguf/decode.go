package gguf

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// decoder reads little-endian GGUF fields from a byte slice, checking every
// read against the bytes left. Errors carry the offset of the field.
type decoder struct {
	data []byte
	off  int
}

func (d *decoder) left() int { return len(d.data) - d.off }

// take returns the next n bytes, or io.ErrUnexpectedEOF.
func (d *decoder) take(n uint64, what string) ([]byte, error) {
	if n > uint64(d.left()) {
		return nil, fmt.Errorf("%s at offset %d: need %d bytes, %d left: %w", what, d.off, n, d.left(), io.ErrUnexpectedEOF)
	}
	b := d.data[d.off : d.off+int(n)]
	d.off += int(n)
	return b, nil
}

func (d *decoder) u8(what string) (uint8, error) {
	b, err := d.take(1, what)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

func (d *decoder) u16(what string) (uint16, error) {
	b, err := d.take(2, what)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint16(b), nil
}

func (d *decoder) u32(what string) (uint32, error) {
	b, err := d.take(4, what)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (d *decoder) u64(what string) (uint64, error) {
	b, err := d.take(8, what)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

// str reads a gguf_string_t: a uint64 length and that many bytes. The bytes
// are copied so that metadata outlives the mapping.
func (d *decoder) str(what string) (string, error) {
	start := d.off
	n, err := d.u64(what + " length")
	if err != nil {
		return "", err
	}
	b, err := d.take(n, what)
	if err != nil {
		d.off = start
		return "", fmt.Errorf("%s at offset %d: length %d exceeds the %d bytes left: %w", what, start, n, d.left()-8, io.ErrUnexpectedEOF)
	}
	return string(b), nil
}

// maxDepth caps nested arrays so a hostile file cannot recurse deeply.
const maxDepth = 16

// value decodes one metadata value of type t.
func (d *decoder) value(t ValueType, depth int) (any, error) {
	switch t {
	case Uint8:
		return d.u8("uint8")
	case Int8:
		v, err := d.u8("int8")
		return int8(v), err
	case Uint16:
		return d.u16("uint16")
	case Int16:
		v, err := d.u16("int16")
		return int16(v), err
	case Uint32:
		return d.u32("uint32")
	case Int32:
		v, err := d.u32("int32")
		return int32(v), err
	case Float32:
		v, err := d.u32("float32")
		return math.Float32frombits(v), err
	case Bool:
		off := d.off
		v, err := d.u8("bool")
		if err == nil && v > 1 {
			err = fmt.Errorf("bool at offset %d has value %d (want 0 or 1)", off, v)
		}
		return v == 1, err
	case String:
		return d.str("string")
	case Uint64:
		return d.u64("uint64")
	case Int64:
		v, err := d.u64("int64")
		return int64(v), err
	case Float64:
		v, err := d.u64("float64")
		return math.Float64frombits(v), err
	case Array:
		return d.array(depth)
	}
	return nil, fmt.Errorf("unknown value type %d at offset %d", uint32(t), d.off-4)
}

// array decodes an array value: element type, count, elements. The count is
// checked against the bytes left before anything is allocated.
func (d *decoder) array(depth int) (any, error) {
	if depth >= maxDepth {
		return nil, fmt.Errorf("arrays nested deeper than %d at offset %d", maxDepth, d.off)
	}
	start := d.off
	et, err := d.u32("array element type")
	if err != nil {
		return nil, err
	}
	elem := ValueType(et)
	if !elem.valid() {
		return nil, fmt.Errorf("array at offset %d: unknown element type %d", start, et)
	}
	n, err := d.u64("array length")
	if err != nil {
		return nil, err
	}
	if min := uint64(elem.minSize()); n > uint64(d.left())/min {
		return nil, fmt.Errorf("array at offset %d: %d %s elements cannot fit in the %d bytes left: %w", start, n, elem, d.left(), io.ErrUnexpectedEOF)
	}
	count := int(n)
	switch elem {
	case String:
		out := make([]string, count)
		for i := range out {
			if out[i], err = d.str("string"); err != nil {
				return nil, fmt.Errorf("array element %d: %w", i, err)
			}
		}
		return out, nil
	case Array:
		out := make([]any, count)
		for i := range out {
			if out[i], err = d.array(depth + 1); err != nil {
				return nil, fmt.Errorf("array element %d: %w", i, err)
			}
		}
		return out, nil
	case Bool:
		b, _ := d.take(n, "bool array")
		out := make([]bool, count)
		for i, v := range b {
			if v > 1 {
				return nil, fmt.Errorf("array at offset %d: bool element %d has value %d (want 0 or 1)", start, i, v)
			}
			out[i] = v == 1
		}
		return out, nil
	}
	b, _ := d.take(n*uint64(fixedSizes[elem]), "array")
	return decodeFixed(elem, b, count), nil
}

// decodeFixed decodes n little-endian values of a fixed-size type from b.
func decodeFixed(t ValueType, b []byte, n int) any {
	le := binary.LittleEndian
	switch t {
	case Uint8:
		return append([]uint8{}, b...)
	case Int8:
		out := make([]int8, n)
		for i := range out {
			out[i] = int8(b[i])
		}
		return out
	case Uint16:
		out := make([]uint16, n)
		for i := range out {
			out[i] = le.Uint16(b[2*i:])
		}
		return out
	case Int16:
		out := make([]int16, n)
		for i := range out {
			out[i] = int16(le.Uint16(b[2*i:]))
		}
		return out
	case Uint32:
		out := make([]uint32, n)
		for i := range out {
			out[i] = le.Uint32(b[4*i:])
		}
		return out
	case Int32:
		out := make([]int32, n)
		for i := range out {
			out[i] = int32(le.Uint32(b[4*i:]))
		}
		return out
	case Float32:
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
		return out
	case Uint64:
		out := make([]uint64, n)
		for i := range out {
			out[i] = le.Uint64(b[8*i:])
		}
		return out
	case Int64:
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(le.Uint64(b[8*i:]))
		}
		return out
	case Float64:
		out := make([]float64, n)
		for i := range out {
			out[i] = math.Float64frombits(le.Uint64(b[8*i:]))
		}
		return out
	}
	panic("gguf: decodeFixed of " + t.String())
}
