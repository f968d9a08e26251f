package gguf_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/distill-dev/distill/checkpoint/gguf"
)

func Example() {
	dir, _ := os.MkdirTemp("", "gguf-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "tiny.gguf")

	// A [2, 3] F32 matrix: rows of 3 (ne = [3, 2] in the file).
	data := make([]byte, 2*3*4)
	kv := []gguf.KV{
		{Key: "general.architecture", Value: "llama"},
		{Key: "llama.block_count", Value: uint32(1)},
		{Key: "tokenizer.ggml.tokens", Value: []string{"<unk>", "<s>", "</s>"}},
	}
	ts := []gguf.Tensor{{Name: "token_embd.weight", Type: gguf.TypeF32, Shape: []int{2, 3}, Data: data}}
	if err := gguf.Write(path, kv, ts); err != nil {
		log.Fatal(err)
	}

	f, err := gguf.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	arch, _ := f.String("general.architecture")
	blocks, _ := f.Uint("llama.block_count")
	toks, _ := f.Strings("tokenizer.ggml.tokens")
	emb, _ := f.Tensor("token_embd.weight")
	fmt.Println(arch, blocks, len(toks), emb.Type, emb.Shape, len(emb.Data), emb.Offset%int64(f.Alignment()))
	// Output: llama 1 3 F32 [2 3] 24 0
}
