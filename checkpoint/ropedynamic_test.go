package checkpoint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distill-dev/distill/model"
)

// TestHFConfigDynamicRoPE: a config.json with dynamic NTK scaling loads
// with max_position_embeddings as the original context and the context
// stretched by the factor, writes back the same config.json fields, and
// GGUF export is refused (llama.cpp has no dynamic mode) with no file.
func TestHFConfigDynamicRoPE(t *testing.T) {
	js := llamaWith(`"max_position_embeddings":2048,"rope_scaling":{"type":"dynamic","factor":4.0}`)
	c, err := ParseHFConfig([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	want := model.RopeScaling{Kind: model.RopeScalingDynamic, Factor: 4, OriginalMaxSeqLen: 2048}
	if c.RopeScaling != want || c.MaxSeqLen != 8192 {
		t.Fatalf("rope_scaling %+v, max_seq_len %d; want %+v, 8192", c.RopeScaling, c.MaxSeqLen, want)
	}
	out, err := HFConfigJSON(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"max_position_embeddings": 2048`, `"rope_type": "dynamic"`, `"factor": 4`} {
		if !strings.Contains(string(out), field) {
			t.Errorf("written config.json lacks %s:\n%s", field, out)
		}
	}
	if back, err := ParseHFConfig(out); err != nil || back != c {
		t.Errorf("round trip: %+v, %v; want %+v", back, err, c)
	}
	path := filepath.Join(t.TempDir(), "m.gguf")
	err = WriteGGUF(path, c, nil, nil, GGUFOptions{})
	if err == nil || !strings.Contains(err.Error(), `rope_scaling type "dynamic"`) {
		t.Errorf("WriteGGUF: err = %v, want a refusal naming rope_scaling type \"dynamic\"", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("WriteGGUF left %s behind (stat: %v)", path, err)
	}
}
