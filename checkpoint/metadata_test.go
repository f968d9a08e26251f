package checkpoint

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
)

// TestWriterMetadataReadsBack checks that extra metadata given to the HF
// and GGUF writers (provenance keys such as a tokenizer hash) reads back
// through Load and Inspect, and that the GGUF writer refuses to let an
// extra key replace one it sets.
func TestWriterMetadataReadsBack(t *testing.T) {
	b := cpu.New(2)
	cfg := crossConfigs[0]
	src, _ := crossSource(t, b, cfg, kernels.F32)
	const key, val = "distill.tokenizer_sha256", "0123abcd"

	dir := t.TempDir()
	if err := WriteHF(dir, cfg, src, nil, HFOptions{Metadata: map[string]string{key: val}, ShardBytes: 4096}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := WriteGGUF(path, cfg, src, nil, GGUFOptions{Metadata: map[string]any{key: val}}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, path} {
		tt, _ := loadLogits(t, p, b, cfg)
		if got := tt.Metadata[key]; got != val {
			t.Errorf("%s: Loaded.Metadata[%s] = %q, want %q", p, key, got, val)
		}
		info, err := Inspect(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Metadata[key]; got != val {
			t.Errorf("%s: Info.Metadata[%s] = %q, want %q", p, key, got, val)
		}
	}
	err := WriteGGUF(filepath.Join(t.TempDir(), "x.gguf"), cfg, src, nil, GGUFOptions{Metadata: map[string]any{"general.architecture": "gpt2"}})
	if err == nil || !strings.Contains(err.Error(), "general.architecture") {
		t.Errorf("replacing general.architecture: err = %v", err)
	}
}
