package gguf

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distill-dev/distill/internal/formattest"
)

func TestStories260K(t *testing.T) {
	path := filepath.Join(formattest.SharedData(t), "stories260K", "stories260K.gguf")
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Version() != 3 || f.Alignment() != 32 || f.DataOffset()%32 != 0 {
		t.Errorf("version %d alignment %d data offset %d", f.Version(), f.Alignment(), f.DataOffset())
	}
	if arch, err := f.String("general.architecture"); err != nil || arch != "llama" {
		t.Errorf("general.architecture = %q, %v", arch, err)
	}
	for key, want := range map[string]uint64{
		"llama.embedding_length": 64, "llama.feed_forward_length": 172, "llama.block_count": 5,
		"llama.attention.head_count": 8, "llama.attention.head_count_kv": 4,
		"llama.context_length": 2048, "llama.rope.dimension_count": 8,
		"tokenizer.ggml.bos_token_id": 1, "tokenizer.ggml.eos_token_id": 2,
	} {
		if got, err := f.Uint(key); err != nil || got != want {
			t.Errorf("%s = %d, %v; want %d", key, got, err, want)
		}
	}
	if eps, err := f.Float32("llama.attention.layer_norm_rms_epsilon"); err != nil || eps != 1e-5 {
		t.Errorf("rms eps = %v, %v", eps, err)
	}
	toks, err := f.Strings("tokenizer.ggml.tokens")
	if err != nil || len(toks) != 512 || toks[0] != "<unk>" || toks[3] != "<0x00>" {
		t.Errorf("tokens: %d, %v, first %q", len(toks), err, toks[:4])
	}
	if scores, err := f.Float32s("tokenizer.ggml.scores"); err != nil || len(scores) != 512 {
		t.Errorf("scores: %d, %v", len(scores), err)
	}
	if types, err := f.Int32s("tokenizer.ggml.token_type"); err != nil || len(types) != 512 || types[0] != 2 {
		t.Errorf("token_type: %v, %v", types[:min(4, len(types))], err)
	}
	// Wrong-type and missing accessors fail clearly.
	if _, err := f.Uint32("general.architecture"); err == nil || !strings.Contains(err.Error(), "has type string") {
		t.Errorf("Uint32 of a string: %v", err)
	}
	if _, err := f.String("no.such.key"); !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), "no.such.key") {
		t.Errorf("missing key: %v", err)
	}

	if n := len(f.Tensors()); n != 3+5*9 {
		t.Errorf("%d tensors, want 48", n)
	}
	emb, err := f.Tensor("token_embd.weight")
	if err != nil {
		t.Fatal(err)
	}
	if emb.Type != TypeF32 || len(emb.Shape) != 2 || emb.Shape[0] != 512 || emb.Shape[1] != 64 || len(emb.Data) != 512*64*4 {
		t.Errorf("token_embd.weight: %s %v %d bytes", emb.Type, emb.Shape, len(emb.Data))
	}
	if dt, err := emb.KernelDType(); err != nil || dt.String() != "F32" {
		t.Errorf("KernelDType = %v, %v", dt, err)
	}
	k, _ := f.Tensor("blk.0.attn_k.weight")
	if k.Shape[0] != 32 || k.Shape[1] != 64 {
		t.Errorf("attn_k shape %v, want [32 64]", k.Shape)
	}

	// Re-encoding what we parsed reproduces llama.cpp's file byte for byte:
	// same order, same padding, same encoding of every value.
	var buf bytes.Buffer
	if err := Encode(&buf, f.KV(), f.Tensors()); err != nil {
		t.Fatal(err)
	}
	orig, _ := os.ReadFile(path)
	if !bytes.Equal(buf.Bytes(), orig) {
		n := 0
		for n < len(orig) && n < buf.Len() && orig[n] == buf.Bytes()[n] {
			n++
		}
		t.Errorf("re-encoded file differs from the original at byte %d (lengths %d, %d)", n, buf.Len(), len(orig))
	}
}
