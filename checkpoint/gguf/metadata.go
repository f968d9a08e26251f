package gguf

import (
	"errors"
	"fmt"
)

// ErrMissing is wrapped by the typed accessors when a key is absent.
var ErrMissing = errors.New("key not found")

// KV returns the metadata pairs in file order. Do not modify the slice.
func (f *File) KV() []KV { return f.kv }

// Get returns the value of key and whether it is present.
func (f *File) Get(key string) (any, bool) {
	i, ok := f.byKey[key]
	if !ok {
		return nil, false
	}
	return f.kv[i].Value, true
}

// lookup returns key's value as T, or an error naming the file, the key and
// the types involved.
func lookup[T any](f *File, key string) (T, error) {
	var zero T
	v, ok := f.Get(key)
	if !ok {
		return zero, fmt.Errorf("gguf: %s: metadata key %q: %w", f.path, key, ErrMissing)
	}
	t, ok := v.(T)
	if !ok {
		return zero, fmt.Errorf("gguf: %s: metadata key %q has type %s, want %T", f.path, key, describe(v), zero)
	}
	return t, nil
}

// describe names a value's GGUF type, e.g. "uint32" or "array of string".
func describe(v any) string {
	t, elem, err := typeOf(v)
	if err != nil {
		return fmt.Sprintf("%T", v)
	}
	if t == Array {
		return "array of " + elem.String()
	}
	return t.String()
}

// String returns a string value.
func (f *File) String(key string) (string, error) { return lookup[string](f, key) }

// Uint32 returns a uint32 value.
func (f *File) Uint32(key string) (uint32, error) { return lookup[uint32](f, key) }

// Float32 returns a float32 value.
func (f *File) Float32(key string) (float32, error) { return lookup[float32](f, key) }

// Bool returns a bool value.
func (f *File) Bool(key string) (bool, error) { return lookup[bool](f, key) }

// Strings returns an array of strings.
func (f *File) Strings(key string) ([]string, error) { return lookup[[]string](f, key) }

// Float32s returns an array of float32.
func (f *File) Float32s(key string) ([]float32, error) { return lookup[[]float32](f, key) }

// Int32s returns an array of int32.
func (f *File) Int32s(key string) ([]int32, error) { return lookup[[]int32](f, key) }

// Uint returns any non-negative integer value as uint64. The spec stores
// counts as uint64 but writers (llama.cpp among them) often use uint32, and
// readers are asked to accept both.
func (f *File) Uint(key string) (uint64, error) {
	v, ok := f.Get(key)
	if !ok {
		return 0, fmt.Errorf("gguf: %s: metadata key %q: %w", f.path, key, ErrMissing)
	}
	var n int64
	switch x := v.(type) {
	case uint8:
		return uint64(x), nil
	case uint16:
		return uint64(x), nil
	case uint32:
		return uint64(x), nil
	case uint64:
		return x, nil
	case int8:
		n = int64(x)
	case int16:
		n = int64(x)
	case int32:
		n = int64(x)
	case int64:
		n = x
	default:
		return 0, fmt.Errorf("gguf: %s: metadata key %q has type %s, want an integer", f.path, key, describe(v))
	}
	if n < 0 {
		return 0, fmt.Errorf("gguf: %s: metadata key %q is negative (%d)", f.path, key, n)
	}
	return uint64(n), nil
}
