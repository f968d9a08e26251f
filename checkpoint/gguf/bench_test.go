package gguf

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/distill-dev/distill/internal/formattest"
)

// BenchmarkOpenStories260K measures mapping and parsing a real llama.cpp
// file: 19 metadata keys (a 512-token vocabulary) and 48 tensor infos.
func BenchmarkOpenStories260K(b *testing.B) {
	path := filepath.Join(formattest.SharedData(b), "stories260K", "stories260K.gguf")
	for b.Loop() {
		f, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

// BenchmarkEncode measures encoding 64 MiB of tensor data into memory
// (the encoder's own cost, without the file system).
func BenchmarkEncode(b *testing.B) {
	var ts []Tensor
	for i := range 16 {
		ts = append(ts, Tensor{Name: "blk." + string(rune('a'+i)) + ".weight", Type: TypeF32, Shape: []int{1024, 1024}, Data: make([]byte, 4<<20)})
	}
	var buf bytes.Buffer
	buf.Grow(65 << 20)
	b.SetBytes(64 << 20)
	for b.Loop() {
		buf.Reset()
		if err := Encode(&buf, allKV(), ts); err != nil {
			b.Fatal(err)
		}
	}
}
