package safetensors

import (
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkReadHeader measures parsing and validating the header of a
// checkpoint with 2,000 tensors (about a 7B model's count) of no data.
func BenchmarkReadHeader(b *testing.B) {
	var ts []Tensor
	for i := range 2000 {
		ts = append(ts, Tensor{Name: fmt.Sprintf("model.layers.%d.self_attn.q_proj.weight", i), DType: "BF16", Shape: []int{0, 4096}, Data: []byte{}})
	}
	data := encode(b, ts, map[string]string{"format": "pt"})
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Read("bench", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWrite measures an atomic, fsynced write of 64 MiB to a file.
func BenchmarkWrite(b *testing.B) {
	var ts []Tensor
	for i := range 16 {
		ts = append(ts, Tensor{Name: fmt.Sprint("w", i), DType: "F32", Shape: []int{1024, 1024}, Data: make([]byte, 4<<20)})
	}
	path := filepath.Join(b.TempDir(), "m.safetensors")
	b.SetBytes(64 << 20)
	for b.Loop() {
		if err := Write(path, ts, nil); err != nil {
			b.Fatal(err)
		}
	}
}
