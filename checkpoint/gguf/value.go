package gguf

import "fmt"

// ValueType is the type tag of a metadata value.
type ValueType uint32

// The metadata value types.
const (
	Uint8   ValueType = 0
	Int8    ValueType = 1
	Uint16  ValueType = 2
	Int16   ValueType = 3
	Uint32  ValueType = 4
	Int32   ValueType = 5
	Float32 ValueType = 6
	Bool    ValueType = 7
	String  ValueType = 8
	Array   ValueType = 9
	Uint64  ValueType = 10
	Int64   ValueType = 11
	Float64 ValueType = 12
)

var valueTypeNames = [...]string{"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool", "string", "array", "uint64", "int64", "float64"}

// fixedSizes is the encoded size of each fixed-size value type (0 for
// string and array, which are variable).
var fixedSizes = [...]int{1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8}

func (t ValueType) String() string {
	if int(t) < len(valueTypeNames) {
		return valueTypeNames[t]
	}
	return fmt.Sprintf("ValueType(%d)", uint32(t))
}

func (t ValueType) valid() bool { return int(t) < len(valueTypeNames) }

// minSize is the smallest encoding of one value of type t: a string is at
// least its 8-byte length, an array its 4-byte type and 8-byte count. It
// bounds how many elements the remaining bytes can hold before anything is
// allocated.
func (t ValueType) minSize() int {
	switch t {
	case String:
		return 8
	case Array:
		return 12
	}
	return fixedSizes[t]
}

// KV is one metadata key-value pair. Value holds the Go type matching its
// GGUF type:
//
//	uint8 int8 uint16 int16 uint32 int32 float32 bool string uint64 int64 float64
//
// and arrays as slices of those ([]string, []float32, []int32, ...). An
// array of arrays is []any whose elements are themselves such slices.
// Writers accept the same types.
type KV struct {
	Key   string
	Value any
}

// typeOf returns the GGUF type of a Go value, and for arrays the element
// type.
func typeOf(v any) (t, elem ValueType, err error) {
	switch v.(type) {
	case uint8:
		return Uint8, 0, nil
	case int8:
		return Int8, 0, nil
	case uint16:
		return Uint16, 0, nil
	case int16:
		return Int16, 0, nil
	case uint32:
		return Uint32, 0, nil
	case int32:
		return Int32, 0, nil
	case float32:
		return Float32, 0, nil
	case bool:
		return Bool, 0, nil
	case string:
		return String, 0, nil
	case uint64:
		return Uint64, 0, nil
	case int64:
		return Int64, 0, nil
	case float64:
		return Float64, 0, nil
	case []uint8:
		return Array, Uint8, nil
	case []int8:
		return Array, Int8, nil
	case []uint16:
		return Array, Uint16, nil
	case []int16:
		return Array, Int16, nil
	case []uint32:
		return Array, Uint32, nil
	case []int32:
		return Array, Int32, nil
	case []float32:
		return Array, Float32, nil
	case []bool:
		return Array, Bool, nil
	case []string:
		return Array, String, nil
	case []uint64:
		return Array, Uint64, nil
	case []int64:
		return Array, Int64, nil
	case []float64:
		return Array, Float64, nil
	case []any:
		return Array, Array, nil
	}
	return 0, 0, fmt.Errorf("unsupported metadata value type %T", v)
}
