package quant

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/checkpoint/gguf"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
)

// stories260K exported as Q4_K_M GGUF and F16 safetensors with its
// tokenizer: both reload with the same tokenization and the logits of the
// exported weights; the GGUF carries every key (with the same value type)
// of the llama.cpp-converted stories260K.gguf.
func TestStoriesExport(t *testing.T) {
	b := cpu.New(0)
	tc, _, _ := stories(t, b, 1)
	src := SourceOf(tc.Model)
	m, _ := ParseMethod("q4_k_m")
	_, qs, err := Apply(tc.Config, src, m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "stories260K-q4_k_m.gguf")
	rt, err := ExportGGUF(path, tc.Config, qs, tc.Tokenizer, b, checkpoint.GGUFOptions{Name: "stories260K", FileType: "q4_k_m"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("GGUF q4_k_m: %d bytes, max |Δlogit| %g over %d positions, tokenizer checked %v", rt.FileBytes, rt.MaxLogitDiff, rt.Tokens, rt.TokenizerChecked)
	if rt.MaxLogitDiff != 0 || !rt.TokenizerChecked {
		t.Errorf("GGUF round trip: %+v", rt)
	}
	ours, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ours.Close()
	theirs, err := gguf.Open(filepath.Join(sharedData(t), "stories260K", "stories260K.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer theirs.Close()
	for _, kv := range theirs.KV() {
		if kv.Key == "tokenizer.ggml.seperator_token_id" || kv.Key == "tokenizer.ggml.padding_token_id" {
			continue // -1 (absent) in the reference file; we omit absent ids
		}
		got, ok := ours.Get(kv.Key)
		if !ok {
			t.Errorf("key %s of llama.cpp's file is missing", kv.Key)
		} else if fmt.Sprintf("%T", got) != fmt.Sprintf("%T", kv.Value) {
			t.Errorf("key %s: %T, llama.cpp's file has %T", kv.Key, got, kv.Value)
		}
	}
	dir := filepath.Join(t.TempDir(), "hf")
	rt, err = ExportHF(dir, tc.Config, src, tc.Tokenizer, kernels.F16, b)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("HF f16: %d bytes, max |Δlogit| %g vs the f32 model, tokenizer checked %v", rt.FileBytes, rt.MaxLogitDiff, rt.TokenizerChecked)
	if rt.MaxLogitDiff > 0.05 || !rt.TokenizerChecked {
		t.Errorf("HF round trip: %+v", rt)
	}
}
