package checkpoint

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distill-dev/distill/checkpoint/llama2c"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/tokenizer"
	"github.com/distill-dev/distill/tokenizer/tokenizertest"
)

// writeLlama2C writes the random weights of cfg (crossSource's seed) as a
// legacy llama2.c file and returns its bytes.
func writeLlama2C(t *testing.T, path string, cfg model.Config) []byte {
	t.Helper()
	h, err := Llama2CHeader(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := llama2c.Write(path, h, model.RandomParams(cfg, crossSeed)); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestCrossFormatLlama2C writes the random Llama (untied, and tied) as a
// llama2.c file with a tokenizer.bin beside it and checks bit-identical
// logits.
func TestCrossFormatLlama2C(t *testing.T) {
	b := cpu.New(2)
	for _, tied := range []bool{false, true} {
		cfg := crossConfigs[0]
		cfg.TiedEmbeddings = tied
		_, want := crossSource(t, b, cfg, kernels.F32)
		dir := t.TempDir()
		path := filepath.Join(dir, "model.bin")
		writeLlama2C(t, path, cfg)
		f, _ := os.Create(filepath.Join(dir, "tokenizer.bin"))
		if err := tokenizer.WriteLlama2C(f, tokenizertest.Tiny(cfg.VocabSize)); err != nil {
			t.Fatal(err)
		}
		f.Close()
		tt, got := loadLogits(t, path, b, cfg)
		sameBits(t, path, got, want)
		if tt.Tokenizer == nil || tt.Tokenizer.VocabSize() != cfg.VocabSize || tt.Config != cfg {
			t.Errorf("tokenizer %v, config %+v", tt.Tokenizer, tt.Config)
		}
	}
}

// TestLlama2CErrors checks truncated, padded, inconsistent and NaN files.
func TestLlama2CErrors(t *testing.T) {
	b := cpu.New(2)
	good := writeLlama2C(t, filepath.Join(t.TempDir(), "good.bin"), crossConfigs[0])
	cases := []struct {
		name string
		data func() []byte
		want string
	}{
		{"empty", func() []byte { return nil }, "too short for a header"},
		{"truncated", func() []byte { return good[:len(good)-100] }, "implies"},
		{"trailing", func() []byte { return append(append([]byte(nil), good...), 1, 2, 3, 4) }, "implies"},
		{"zero-heads", func() []byte {
			d := append([]byte(nil), good...)
			binary.LittleEndian.PutUint32(d[12:], 0)
			return d
		}, "n_heads = 0"},
		{"nan", func() []byte {
			d := append([]byte(nil), good...)
			copy(d[28+4*7:], []byte{0, 0, 0xc0, 0x7f})
			return d
		}, "token_embd.weight: non-finite value NaN at element 7"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.bin")
			os.WriteFile(path, tc.data(), 0o644)
			_, err := Load(path, b, LoadOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want it to name %s and mention %q", err, path, tc.want)
			}
		})
	}
}
