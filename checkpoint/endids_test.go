package checkpoint

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestGGUFEndIDs(t *testing.T) {
	for _, tc := range []struct {
		meta map[string]any
		want []int32
	}{
		{map[string]any{}, nil},
		{map[string]any{"tokenizer.ggml.eos_token_id": uint32(2)}, []int32{2}},
		{map[string]any{"tokenizer.ggml.eos_token_id": uint32(128001), "tokenizer.ggml.eot_token_id": uint32(128009)}, []int32{128001, 128009}},
		{map[string]any{"tokenizer.ggml.eos_token_id": int32(7), "tokenizer.ggml.eot_token_id": uint32(7), "tokenizer.ggml.eom_token_id": uint64(8)}, []int32{7, 8}},
		{map[string]any{"tokenizer.ggml.eos_token_id": "2"}, nil},
	} {
		if got := ggufEndIDs(tc.meta); !slices.Equal(got, tc.want) {
			t.Errorf("%v: %v, want %v", tc.meta, got, tc.want)
		}
	}
}

func TestHFEndIDs(t *testing.T) {
	for _, tc := range []struct {
		name       string
		generation string // generation_config.json; "" = absent
		config     string
		want       []int32
		err        string
	}{
		{"config only", "", `{"eos_token_id": 2}`, []int32{2}, ""},
		{"config list", "", `{"eos_token_id": [128001, 128008, 128009]}`, []int32{128001, 128008, 128009}, ""},
		{"generation wins", `{"eos_token_id": [50256, 7]}`, `{"eos_token_id": 50256}`, []int32{50256, 7}, ""},
		{"generation without eos", `{"do_sample": true}`, `{"eos_token_id": 3}`, []int32{3}, ""},
		{"none", "", `{}`, nil, ""},
		{"null", `{"eos_token_id": null}`, `{"eos_token_id": null}`, nil, ""},
		{"bad generation", `{"eos_token_id": "x"}`, `{}`, nil, "generation_config.json: eos_token_id: want an integer or a list"},
		{"bad json", `{`, `{}`, nil, "generation_config.json"},
	} {
		dir := t.TempDir()
		if tc.generation != "" {
			if err := os.WriteFile(filepath.Join(dir, "generation_config.json"), []byte(tc.generation), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := hfEndIDs(dir, []byte(tc.config))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}
