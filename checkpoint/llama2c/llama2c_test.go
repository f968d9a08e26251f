package llama2c

import (
	"bytes"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/distill-dev/distill/checkpoint/gguf"
	"github.com/distill-dev/distill/internal/formattest"
)

func TestStories260K(t *testing.T) {
	dir := filepath.Join(formattest.SharedData(t), "stories260K")
	f, err := Open(filepath.Join(dir, "stories260K.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := Header{Version: 0, Dim: 64, HiddenDim: 172, NLayers: 5, NHeads: 8, NKVHeads: 4, VocabSize: 512, SeqLen: 512, SharedClassifier: true}
	if f.Header != want {
		t.Errorf("header %+v, want %+v", f.Header, want)
	}
	if n := len(f.Tensors()); n != 2+5*9 {
		t.Errorf("%d tensors, want 47 (shared classifier: no output.weight)", n)
	}
	if _, err := f.Tensor("output.weight"); err == nil {
		t.Error("output.weight present in a shared-classifier checkpoint")
	}
	var total int
	for _, tt := range f.Tensors() {
		total += tt.NumElements()
	}
	if rope := 2 * 512 * 4; total+rope != 264128 {
		t.Errorf("%d values + RoPE tables, want 264,128 in all", total)
	}

	// Every tensor is bit-identical to the same-named tensor of the GGUF
	// conversion, with the same [out, in] shape.
	g, err := gguf.Open(filepath.Join(dir, "stories260K.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for _, tt := range f.Tensors() {
		gt, err := g.Tensor(tt.Name)
		if err != nil {
			t.Error(err)
			continue
		}
		if !reflect.DeepEqual(gt.Shape, tt.Shape) || gt.Type != gguf.TypeF32 || !bytes.Equal(gt.Data, tt.Data) {
			t.Errorf("%s: llama2c %v vs gguf %s %v, equal bytes %v", tt.Name, tt.Shape, gt.Type, gt.Shape, bytes.Equal(gt.Data, tt.Data))
		}
	}
	// The GGUF stores the shared classifier explicitly: it is the embedding.
	out, _ := g.Tensor("output.weight")
	emb, _ := f.Tensor("token_embd.weight")
	if !bytes.Equal(out.Data, emb.Data) {
		t.Error("gguf output.weight differs from the shared embedding")
	}
	if v := emb.Float32s(); len(v) != 512*64 || math.IsNaN(float64(v[0])) {
		t.Errorf("Float32s: %d values", len(v))
	}

	// Re-encoding reproduces every weight byte (the RoPE tables, recomputed,
	// are unused and may differ in the last bit).
	weights := map[string][]float32{}
	for _, tt := range f.Tensors() {
		weights[tt.Name] = tt.Float32s()
	}
	var buf bytes.Buffer
	if err := Encode(&buf, f.Header, weights); err != nil {
		t.Fatal(err)
	}
	again, err := Read("again", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for i, tt := range f.Tensors() {
		if !bytes.Equal(again.Tensors()[i].Data, tt.Data) {
			t.Errorf("%s changed in the round trip", tt.Name)
		}
	}
}

// tiny returns a small header and deterministic weights for it.
func tiny(version int, shared bool) (Header, map[string][]float32) {
	h := Header{Version: version, Dim: 8, HiddenDim: 12, NLayers: 2, NHeads: 2, NKVHeads: 1, VocabSize: 5, SeqLen: 4, SharedClassifier: shared}
	w := map[string][]float32{}
	for i, t := range tensorNames(h) {
		if isRope(t.Name) {
			continue
		}
		v := make([]float32, numel(t.Shape))
		for j := range v {
			v[j] = float32(i) + float32(j)/1000
		}
		w[t.Name] = v
	}
	return h, w
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, version := range []int{0, 1} {
		for _, shared := range []bool{true, false} {
			h, w := tiny(version, shared)
			path := filepath.Join(dir, "m.bin")
			if err := Write(path, h, w); err != nil {
				t.Fatal(err)
			}
			f, err := Open(path)
			if err != nil {
				t.Fatalf("v%d shared=%v: %v", version, shared, err)
			}
			if f.Header != h {
				t.Errorf("header %+v, want %+v", f.Header, h)
			}
			if len(f.Tensors()) != len(w) {
				t.Errorf("v%d shared=%v: %d tensors, want %d", version, shared, len(f.Tensors()), len(w))
			}
			for _, tt := range f.Tensors() {
				if !reflect.DeepEqual(tt.Float32s(), w[tt.Name]) {
					t.Errorf("v%d: %s differs", version, tt.Name)
				}
			}
			k, _ := f.Tensor("blk.1.attn_k.weight")
			if !reflect.DeepEqual(k.Shape, []int{4, 8}) {
				t.Errorf("attn_k shape %v, want [kv_dim 4, dim 8]", k.Shape)
			}
			f.Close()
		}
	}
}

func TestRopeTables(t *testing.T) {
	h, _ := tiny(0, true)
	cos, sin := ropeTables(h)
	// head size 4: frequencies 1 and 1/100; position 2.
	if got := cos[2*2+1]; math.Abs(float64(got)-math.Cos(0.02)) > 1e-7 {
		t.Errorf("cos = %v", got)
	}
	if got := sin[3*2+0]; math.Abs(float64(got)-math.Sin(3)) > 1e-7 {
		t.Errorf("sin = %v", got)
	}
}

func TestWriteErrors(t *testing.T) {
	h, w := tiny(0, true)
	bad := map[string]func() (Header, map[string][]float32){
		"missing tensor": func() (Header, map[string][]float32) { delete(w, "blk.0.ffn_up.weight"); return h, w },
		"extra tensor": func() (Header, map[string][]float32) {
			h2, w2 := tiny(0, true)
			w2["output.weight"] = make([]float32, 40)
			return h2, w2
		},
		"wrong size": func() (Header, map[string][]float32) {
			h2, w2 := tiny(1, false)
			w2["output.weight"] = make([]float32, 3)
			return h2, w2
		},
		"bad header": func() (Header, map[string][]float32) { h2, w2 := tiny(0, true); h2.NHeads = 3; return h2, w2 },
	}
	for name, mk := range bad {
		h, w := mk()
		if err := Encode(new(bytes.Buffer), h, w); err == nil {
			t.Errorf("%s: Encode succeeded", name)
		}
	}
	if err := Write(filepath.Join(t.TempDir(), "no", "x.bin"), h, w); err == nil || !strings.Contains(err.Error(), "llama2c:") {
		t.Errorf("Write into a missing directory: %v", err)
	}
}
