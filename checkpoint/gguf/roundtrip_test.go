package gguf

import (
	"bytes"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/distill-dev/distill/kernels"
)

// allKV has a value of every metadata type, arrays of each and nested
// arrays (including empty ones).
func allKV() []KV {
	return []KV{
		{"general.architecture", "llama"},
		{"general.alignment", uint32(64)},
		{"t.u8", uint8(200)}, {"t.i8", int8(-5)},
		{"t.u16", uint16(60000)}, {"t.i16", int16(-300)},
		{"t.u32", uint32(4e9)}, {"t.i32", int32(-7)},
		{"t.f32", float32(1.5)}, {"t.bool", true}, {"t.false", false},
		{"t.str", "héllo"}, {"t.empty", ""},
		{"t.u64", uint64(1) << 60}, {"t.i64", int64(-1) << 60}, {"t.f64", math.Pi},
		{"a.u8", []uint8{1, 2}}, {"a.i8", []int8{-1}}, {"a.u16", []uint16{1}}, {"a.i16", []int16{-1}},
		{"a.u32", []uint32{1, 2, 3}}, {"a.i32", []int32{-1, 0, 1}}, {"a.f32", []float32{0.5, -2}},
		{"a.bool", []bool{true, false}}, {"a.str", []string{"a", "", "ccc"}},
		{"a.u64", []uint64{1 << 63}}, {"a.i64", []int64{-1}}, {"a.f64", []float64{1e300}},
		{"a.empty", []string{}},
		{"a.nested", []any{[]int32{1, 2}, []string{"x"}, []any{[]float32{3}}, []uint8{}}},
		{"a.nested_empty", []any{}},
	}
}

func q8Block(n int) []byte { return bytes.Repeat([]byte{7}, n/32*34) }

func allTensors() []Tensor {
	f32 := make([]byte, 3*4*4)
	for i := range f32 {
		f32[i] = byte(i)
	}
	return []Tensor{
		{Name: "token_embd.weight", Type: TypeF32, Shape: []int{3, 4}, Data: f32},
		{Name: "output_norm.weight", Type: TypeF16, Shape: []int{3}, Data: []byte{0, 0x3c, 0, 0x40, 0, 0x42}},
		{Name: "blk.0.attn_q.weight", Type: TypeBF16, Shape: []int{1, 2}, Data: []byte{0x80, 0x3f, 0, 0x40}},
		{Name: "blk.0.ffn_up.weight", Type: TypeQ8_0, Shape: []int{2, 64}, Data: q8Block(128)},
		{Name: "blk.0.ffn_down.weight", Type: TypeQ4_K, Shape: []int{1, 256}, Data: bytes.Repeat([]byte{1}, 144)},
		{Name: "blk.0.ffn_gate.weight", Type: TypeQ6_K, Shape: []int{1, 1, 256}, Data: bytes.Repeat([]byte{2}, 210)},
		{Name: "blk.0.attn_k.weight", Type: TypeIQ4_XS, Shape: []int{256}, Data: bytes.Repeat([]byte{3}, 136)},
		{Name: "ids", Type: TypeI32, Shape: []int{2, 1, 1, 1}, Data: []byte{1, 0, 0, 0, 2, 0, 0, 0}},
		{Name: "empty", Type: TypeF32, Shape: []int{0, 4}, Data: []byte{}},
	}
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := Write(path, allKV(), allTensors()); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Version() != 3 || f.Alignment() != 64 {
		t.Errorf("version %d alignment %d", f.Version(), f.Alignment())
	}
	wantKV := append(allKV(), KV{QuantVersionKey, uint32(2)}) // added: quantized tensors
	if !reflect.DeepEqual(f.KV(), wantKV) {
		t.Errorf("metadata round trip:\n got %#v\nwant %#v", f.KV(), wantKV)
	}
	want := allTensors()
	if len(f.Tensors()) != len(want) {
		t.Fatalf("%d tensors, want %d", len(f.Tensors()), len(want))
	}
	for i, w := range want {
		g := f.Tensors()[i]
		if g.Name != w.Name || g.Type != w.Type || !reflect.DeepEqual(g.Shape, w.Shape) || !bytes.Equal(g.Data, w.Data) {
			t.Errorf("tensor %d: got %s %s %v, want %s %s %v", i, g.Name, g.Type, g.Shape, w.Name, w.Type, w.Shape)
		}
		if g.Offset%64 != 0 {
			t.Errorf("%s at offset %d, not 64-aligned", g.Name, g.Offset)
		}
	}
	iq4, _ := f.Tensor("blk.0.attn_k.weight")
	if _, err := iq4.KernelDType(); err == nil || !strings.Contains(err.Error(), "IQ4_XS") || !strings.Contains(err.Error(), "blk.0.attn_k.weight") {
		t.Errorf("IQ4_XS KernelDType err = %v", err)
	}
	q8, _ := f.Tensor("blk.0.ffn_up.weight")
	if dt, err := q8.KernelDType(); err != nil || dt != kernels.Q8_0 {
		t.Errorf("Q8_0 KernelDType = %v, %v", dt, err)
	}
	// Sizes agree with kernels.DType.Bytes for every type both know.
	for _, tt := range f.Tensors() {
		if dt, ok := tt.Type.DType(); ok {
			if n, err := dt.Bytes(tt.Shape); err != nil || n != len(tt.Data) {
				t.Errorf("%s: kernels size %d (%v), GGUF size %d", tt.Name, n, err, len(tt.Data))
			}
		}
	}
}

func TestTypeIDs(t *testing.T) {
	// The ids of ggml.h's enum ggml_type that the kernels store.
	for typ, want := range map[GGMLType]kernels.DType{0: kernels.F32, 1: kernels.F16, 2: kernels.Q4_0, 3: kernels.Q4_1, 8: kernels.Q8_0, 12: kernels.Q4_K, 14: kernels.Q6_K, 26: kernels.I32, 30: kernels.BF16,
		6: kernels.Q5_0, 7: kernels.Q5_1, 10: kernels.Q2_K, 11: kernels.Q3_K, 13: kernels.Q5_K} {
		if got, ok := typ.DType(); !ok || got != want {
			t.Errorf("type %d: %v, %v; want %v", typ, got, ok, want)
		}
		if back, ok := TypeOf(want); !ok || back != typ {
			t.Errorf("TypeOf(%v) = %v, %v", want, back, ok)
		}
	}
	if _, ok := TypeOf(kernels.I8CH); ok {
		t.Error("TypeOf(I8CH) succeeded")
	}
	if GGMLType(4).Known() || GGMLType(40).Known() || GGMLType(4).String() != "GGMLType(4)" {
		t.Error("retired/out-of-range type ids are known")
	}
}

func TestSource(t *testing.T) {
	ts := []Tensor{{Name: "a", Type: TypeF32, Shape: []int{2}, Source: bytes.NewReader(make([]byte, 8))}}
	var buf bytes.Buffer
	if err := Encode(&buf, nil, ts); err != nil {
		t.Fatal(err)
	}
	f, err := Read("mem", buf.Bytes())
	if err != nil || len(f.Tensors()[0].Data) != 8 {
		t.Fatalf("read back: %v", err)
	}
	ts[0].Source = bytes.NewReader(make([]byte, 12))
	if err := Encode(new(bytes.Buffer), nil, ts); err == nil || !strings.Contains(err.Error(), "wrote 12 bytes") {
		t.Errorf("long Source: err = %v", err)
	}
}

func TestWriteErrors(t *testing.T) {
	f32 := func(name string, shape []int, n int) Tensor {
		return Tensor{Name: name, Type: TypeF32, Shape: shape, Data: make([]byte, n)}
	}
	tests := []struct {
		name    string
		kv      []KV
		tensors []Tensor
		want    string
	}{
		{"bad value", []KV{{"k", 3}}, nil, "unsupported metadata value type int"},
		{"nested non-array", []KV{{"k", []any{"x"}}}, nil, "array of arrays"},
		{"duplicate key", []KV{{"k", "a"}, {"k", "b"}}, nil, "duplicate"},
		{"empty key", []KV{{"", "a"}}, nil, "length 0"},
		{"bad alignment", []KV{{AlignmentKey, uint32(12)}}, nil, "power of two"},
		{"alignment type", []KV{{AlignmentKey, uint64(32)}}, nil, "uint32"},
		{"size", nil, []Tensor{f32("a", []int{2}, 4)}, "needs 8 bytes"},
		{"duplicate tensor", nil, []Tensor{f32("a", []int{1}, 4), f32("a", []int{1}, 4)}, "duplicate"},
		{"long name", nil, []Tensor{f32(strings.Repeat("n", 64), []int{1}, 4)}, "name length"},
		{"too many dims", nil, []Tensor{f32("a", []int{1, 1, 1, 1, 1}, 4)}, "5 dimensions"},
		{"block multiple", nil, []Tensor{{Name: "a", Type: TypeQ8_0, Shape: []int{31}, Data: make([]byte, 34)}}, "block size"},
		{"unknown type", nil, []Tensor{{Name: "a", Type: 4, Shape: []int{1}, Data: make([]byte, 4)}}, "unknown ggml type"},
		{"negative dim", nil, []Tensor{f32("a", []int{-1}, 0)}, "negative"},
	}
	for _, tc := range tests {
		err := Encode(new(bytes.Buffer), tc.kv, tc.tensors)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestVersion2 reads a v2 file: v3 only added big-endian support, so the
// layout is the same.
func TestVersion2(t *testing.T) {
	data := validFile()
	data[4] = 2
	f, err := Read("v2", data)
	if err != nil || f.Version() != 2 || len(f.Tensors()) != len(allTensors()) {
		t.Fatalf("v2: %v", err)
	}
}

func TestQuantVersion(t *testing.T) {
	q := []Tensor{{Name: "q", Type: TypeQ8_0, Shape: []int{32}, Data: make([]byte, 34)}}
	f32 := []Tensor{{Name: "f", Type: TypeF32, Shape: []int{1}, Data: make([]byte, 4)}}
	for _, tc := range []struct {
		kv      []KV
		tensors []Tensor
		want    any
	}{
		{nil, q, uint32(2)},
		{[]KV{{QuantVersionKey, uint32(7)}}, q, uint32(7)},
		{nil, f32, nil},
	} {
		var buf bytes.Buffer
		if err := Encode(&buf, tc.kv, tc.tensors); err != nil {
			t.Fatal(err)
		}
		f, err := Read("q", buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := f.Get(QuantVersionKey); got != tc.want {
			t.Errorf("%s = %v, want %v", QuantVersionKey, got, tc.want)
		}
	}
}

// TestNestingLimit: the writer takes arrays nested as deep as the reader
// does and no deeper, leaf arrays and empty arrays of arrays alike (the
// fuzzer found a file the reader took and the writer refused).
func TestNestingLimit(t *testing.T) {
	nest := func(levels int, leaf any) any {
		v := leaf
		for range levels - 1 {
			v = []any{v}
		}
		return v
	}
	for _, leaf := range []any{[]uint32{7}, []any{}} {
		for levels, ok := range map[int]bool{maxDepth: true, maxDepth + 1: false} {
			var buf bytes.Buffer
			err := Encode(&buf, []KV{{"k", nest(levels, leaf)}}, nil)
			if ok != (err == nil) {
				t.Errorf("%d levels of arrays around %T: write err %v", levels, leaf, err)
				continue
			}
			if ok {
				if _, err := Read("nested", buf.Bytes()); err != nil {
					t.Errorf("%d levels of arrays around %T: written, but reading back: %v", levels, leaf, err)
				}
			}
		}
	}
}
