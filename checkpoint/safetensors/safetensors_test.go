package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"github.com/distill-dev/distill/kernels"
)

func f32bytes(vs ...float32) []byte {
	b := make([]byte, 4*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

// sampleTensors covers the plain dtypes, a scalar, a zero-size tensor and a
// non-kernel dtype.
func sampleTensors() []Tensor {
	return []Tensor{
		{Name: "model.embed_tokens.weight", DType: "F32", Shape: []int{2, 3}, Data: f32bytes(1, 2, 3, 4, 5, 6)},
		{Name: "model.norm.weight", DType: "BF16", Shape: []int{3}, Data: []byte{0x80, 0x3f, 0, 0x40, 0x40, 0x40}},
		{Name: "lm_head.weight", DType: "F16", Shape: []int{1, 2}, Data: []byte{0, 0x3c, 0, 0xc0}},
		{Name: "scalar", DType: "F32", Shape: []int{}, Data: f32bytes(7)},
		{Name: "empty", DType: "F32", Shape: []int{0, 4}, Data: []byte{}},
		{Name: "position_ids", DType: "I64", Shape: []int{2}, Data: make([]byte, 16)},
		{Name: "flag", DType: "U8", Shape: []int{3}, Data: []byte{1, 2, 3}},
	}
}

func encode(t testing.TB, tensors []Tensor, meta map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, tensors, meta); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func checkSame(t *testing.T, f *File, want []Tensor) {
	t.Helper()
	if len(f.Tensors()) != len(want) {
		t.Fatalf("got %d tensors, want %d", len(f.Tensors()), len(want))
	}
	for _, w := range want {
		got, err := f.Tensor(w.Name)
		if err != nil {
			t.Fatal(err)
		}
		if got.DType != w.DType || !equalInts(got.Shape, w.Shape) || !bytes.Equal(got.Data, w.Data) {
			t.Errorf("%s: got %s %v %x, want %s %v %x", w.Name, got.DType, got.Shape, got.Data, w.DType, w.Shape, w.Data)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRoundTrip(t *testing.T) {
	meta := map[string]string{"format": "pt", "note": "<&> not escaped"}
	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := Write(path, sampleTensors(), meta); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, filepath.Dir(path)} {
		f, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		checkSame(t, f, sampleTensors())
		if f.Metadata()["format"] != "pt" || f.Metadata()["note"] != meta["note"] {
			t.Errorf("metadata = %v", f.Metadata())
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLayout(t *testing.T) {
	data := encode(t, sampleTensors(), nil)
	n := binary.LittleEndian.Uint64(data)
	if n%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", n)
	}
	if !strings.HasSuffix(string(data[8:8+n]), "}") && !strings.HasSuffix(strings.TrimRight(string(data[8:8+n]), " "), "}") {
		t.Errorf("header not padded with spaces: %q", data[8:8+n])
	}
	f, err := Read("mem", data)
	if err != nil {
		t.Fatal(err)
	}
	// Larger elements first keeps every tensor aligned to its element size.
	for _, tt := range f.Tensors() {
		if len(tt.Data) == 0 {
			continue
		}
		off := int(uintptr(unsafe.Pointer(&tt.Data[0])) - uintptr(unsafe.Pointer(&data[0])))
		if bits := dtypeBits[tt.DType]; bits >= 8 && off%(bits/8) != 0 {
			t.Errorf("%s (%s) at misaligned offset %d", tt.Name, tt.DType, off)
		}
	}
	if len(f.Metadata()) != 0 {
		t.Errorf("metadata = %v, want empty", f.Metadata())
	}
}

func TestKernelDType(t *testing.T) {
	f, err := Read("mem", encode(t, sampleTensors(), nil))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]kernels.DType{"model.embed_tokens.weight": kernels.F32, "model.norm.weight": kernels.BF16, "lm_head.weight": kernels.F16} {
		tt, _ := f.Tensor(name)
		if got, err := tt.KernelDType(); err != nil || got != want {
			t.Errorf("%s: %v, %v; want %v", name, got, err, want)
		}
	}
	tt, _ := f.Tensor("position_ids")
	_, err = tt.KernelDType()
	if err == nil || !strings.Contains(err.Error(), "position_ids") || !strings.Contains(err.Error(), "I64") || !strings.Contains(err.Error(), "mem") {
		t.Errorf("I64 tensor: err = %v, want one naming file, tensor and dtype", err)
	}
	if _, err := f.Tensor("nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("missing tensor: err = %v", err)
	}
}

func TestSharded(t *testing.T) {
	dir := t.TempDir()
	all := sampleTensors()
	shards := map[string][]Tensor{
		"model-00001-of-00002.safetensors": all[:3],
		"model-00002-of-00002.safetensors": all[3:],
	}
	weightMap := map[string]string{}
	for name, ts := range shards {
		if err := Write(filepath.Join(dir, name), ts, map[string]string{"format": "pt"}); err != nil {
			t.Fatal(err)
		}
		for _, tt := range ts {
			weightMap[tt.Name] = name
		}
	}
	writeIndex := func(wm map[string]string) {
		b, _ := json.Marshal(map[string]any{"metadata": map[string]any{"total_size": 123}, "weight_map": wm})
		if err := os.WriteFile(filepath.Join(dir, IndexFileName), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeIndex(weightMap)
	f, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	checkSame(t, f, all)
	if f.Path() != filepath.Join(dir, IndexFileName) {
		t.Errorf("Path = %s", f.Path())
	}
	f.Close()

	bad := []struct {
		name string
		edit func(map[string]string)
		want string
	}{
		{"missing tensor", func(m map[string]string) { m["extra"] = "model-00001-of-00002.safetensors" }, `"extra" listed`},
		{"unlisted tensor", func(m map[string]string) { delete(m, "scalar") }, `"scalar" is not listed`},
		{"wrong shard", func(m map[string]string) { m["scalar"] = "model-00001-of-00002.safetensors" }, `"scalar"`},
		{"path escape", func(m map[string]string) { m["scalar"] = "../x.safetensors" }, "plain file name"},
		{"missing shard", func(m map[string]string) { m["scalar"] = "gone.safetensors" }, "gone.safetensors"},
	}
	for _, tc := range bad {
		wm := map[string]string{}
		for k, v := range weightMap {
			wm[k] = v
		}
		tc.edit(wm)
		writeIndex(wm)
		_, err := Open(filepath.Join(dir, IndexFileName))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %s", tc.name, err, tc.want)
		}
	}
}

func TestWriteErrors(t *testing.T) {
	tests := []struct {
		name    string
		tensors []Tensor
	}{
		{"size mismatch", []Tensor{{Name: "a", DType: "F32", Shape: []int{2}, Data: make([]byte, 4)}}},
		{"unknown dtype", []Tensor{{Name: "a", DType: "F128", Shape: []int{1}, Data: make([]byte, 16)}}},
		{"duplicate", []Tensor{{Name: "a", DType: "U8", Shape: []int{1}, Data: []byte{1}}, {Name: "a", DType: "U8", Shape: []int{1}, Data: []byte{1}}}},
		{"reserved name", []Tensor{{Name: "__metadata__", DType: "U8", Shape: []int{1}, Data: []byte{1}}}},
		{"negative dim", []Tensor{{Name: "a", DType: "U8", Shape: []int{-1}}}},
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "x.safetensors")
	for _, tc := range tests {
		if err := Write(path, tc.tensors, nil); err == nil {
			t.Errorf("%s: Write succeeded", tc.name)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("failed writes left files: %v", ents)
	}
}

func TestSource(t *testing.T) {
	ts := []Tensor{{Name: "a", DType: "F32", Shape: []int{2}, Source: bytes.NewReader(f32bytes(1, 2))}}
	f, err := Read("mem", encode(t, ts, nil))
	if err != nil {
		t.Fatal(err)
	}
	checkSame(t, f, []Tensor{{Name: "a", DType: "F32", Shape: []int{2}, Data: f32bytes(1, 2)}})
	ts[0].Source = bytes.NewReader(f32bytes(1))
	if err := Encode(new(bytes.Buffer), ts, nil); err == nil || !strings.Contains(err.Error(), "wrote 4 bytes") {
		t.Errorf("short Source: err = %v", err)
	}
}
