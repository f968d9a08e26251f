package llama2c_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/distill-dev/distill/checkpoint/llama2c"
)

func Example() {
	dir, _ := os.MkdirTemp("", "llama2c-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "tiny.bin")

	h := llama2c.Header{Dim: 4, HiddenDim: 8, NLayers: 1, NHeads: 2, NKVHeads: 1, VocabSize: 3, SeqLen: 2, SharedClassifier: true}
	d, kv, hd := h.Dim, h.KVDim(), h.HiddenDim
	w := map[string][]float32{
		"token_embd.weight":        make([]float32, h.VocabSize*d),
		"blk.0.attn_norm.weight":   make([]float32, d),
		"blk.0.attn_q.weight":      make([]float32, d*d),
		"blk.0.attn_k.weight":      make([]float32, kv*d),
		"blk.0.attn_v.weight":      make([]float32, kv*d),
		"blk.0.attn_output.weight": make([]float32, d*d),
		"blk.0.ffn_norm.weight":    make([]float32, d),
		"blk.0.ffn_gate.weight":    make([]float32, hd*d),
		"blk.0.ffn_down.weight":    make([]float32, d*hd),
		"blk.0.ffn_up.weight":      make([]float32, hd*d),
		"output_norm.weight":       make([]float32, d),
	}
	if err := llama2c.Write(path, h, w); err != nil {
		log.Fatal(err)
	}
	f, err := llama2c.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	k, _ := f.Tensor("blk.0.attn_k.weight")
	fmt.Println(f.Header.Dim, f.Header.SharedClassifier, len(f.Tensors()), k.Shape, len(k.Float32s()))
	// Output: 4 true 11 [2 4] 8
}
